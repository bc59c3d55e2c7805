#!/usr/bin/env python3
"""A short Akhbar client: pushes files to `akhbar serve`, then prints the
stored articles as they stream back (offset, language, title).

Generate the stubs first (they are not committed):

    python -m grpc_tools.protoc -I proto --python_out=STUBS --grpc_python_out=STUBS \
        akhbar/v1/akhbar.proto akhbar/v1/service.proto

then:

    python examples/python/client.py --stubs STUBS --server 127.0.0.1:50051 seeds/*.txt
"""

import argparse
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="documents to push")
    parser.add_argument("--server", default="127.0.0.1:50051", help="host:port")
    parser.add_argument("--stubs", default=os.environ.get("AKHBAR_PY_STUBS", "."),
                        help="folder with the generated akhbar/v1/*_pb2*.py")
    parser.add_argument("--token", default=os.environ.get("AKHBAR_TOKEN"),
                        help="bearer token, if the server requires one")
    parser.add_argument("--from-offset", type=int, default=0,
                        help="replay from this offset (default: 0)")
    parser.add_argument("--follow", action="store_true",
                        help="keep printing new articles instead of stopping when caught up")
    parser.add_argument("--expect", type=int, default=None,
                        help="fail unless exactly this many articles come back")
    args = parser.parse_args()

    sys.path.insert(0, args.stubs)
    import grpc
    from akhbar.v1 import akhbar_pb2, service_pb2, service_pb2_grpc

    metadata = [("authorization", f"Bearer {args.token}")] if args.token else []
    with grpc.insecure_channel(args.server) as channel:
        ingest = service_pb2_grpc.IngestStub(channel)
        articles = service_pb2_grpc.ArticlesStub(channel)

        def requests():
            for path in args.files:
                with open(path, "rb") as f:
                    document = akhbar_pb2.RawDocument(source_uri=path, content=f.read())
                yield service_pb2.PushRequest(document=document, client_ref=path)

        # Push: one acknowledgement per document, sent once it is stored.
        failed = 0
        for ack in ingest.Push(requests(), metadata=metadata):
            if ack.error or not ack.articles:
                failed += 1
                reasons = ack.error or "; ".join(d.reason for d in ack.dead_letters)
                print(f"ack {ack.sequence} {ack.client_ref}: FAILED {reasons}")
                continue
            for stored in ack.articles:
                note = " (already stored)" if stored.duplicate else ""
                print(f"ack {ack.sequence} {ack.client_ref}: {stored.id} at offset {stored.offset}{note}")

        # Subscribe: every message carries its offset; to resume after a
        # disconnect, subscribe again with resume_from = last offset + 1.
        request = service_pb2.SubscribeRequest(
            resume_from=args.from_offset, until_caught_up=not args.follow)
        count = 0
        last = None
        for message in articles.Subscribe(request):
            article = message.article
            last = message.offset
            count += 1
            title = article.title or article.body[:60].replace("\n", " ")
            print(f"{message.offset}\t{article.language or '-'}\t{article.site}\t{title}")
        if last is not None:
            print(f"{count} articles; resume with resume_from = {last + 1}")

    if failed:
        print(f"{failed} documents were not stored", file=sys.stderr)
        return 1
    if args.expect is not None and count != args.expect:
        print(f"expected {args.expect} articles, got {count}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
