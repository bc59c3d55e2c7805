//! Stopwords in the matching form: Arabic (MSA news register) and English.

use foldhash::HashSet;
use std::sync::OnceLock;

const ARABIC: &str = "في من الي علي على عن مع ان او ام ثم حتي اذا اذ لو لا لم لن ما ماذا متي اين كيف كل بعض غير بين بعد قبل عند عندما منذ خلال حول ضد دون تحت فوق امام وراء لدي لدى لكن لكنه لكنها بل قد لقد كان كانت يكون تكون كانوا يكن هو هي هم هن هما انا نحن انت انتم هذا هذه ذلك تلك هؤلاء اولئك الذي التي الذين اللذان اللتان اللواتي اللاتي هناك هنا اي ايضا فقط جدا كما مثل حيث بينما لان لأن انه انها انهم اننا الا سوف سيتم تم يتم وقد وكان وكانت وهو وهي وفي ومن والي وعلي وعن ومع وان وقال وقالت قال قالت يقول تقول اكد اكدت اضاف اضافت اشار اشارت ذكر ذكرت وفقا وفق نحو عام اليوم امس يوم ايام عدد احد احدي اول ثاني الاول الثاني كذلك وكذلك اما وهذا وهذه فيه فيها منه منها عليه عليها اليه اليها لها له لهم بها به بهم ذات هل بان بأن لدي الان حاليا عبر لما كلا كلي سواء عدة مما فان فإن وأن وان او ولا ولم ولن وما اذا فيما وفيما الذى التى ليس ليست اكثر اقل جميع بسبب لـ كي لكي اجل بشان بانه بانها ازاء حيال تجاه جراء ضمن حسب بحسب لصالح";

const ENGLISH: &str = "a about above after again against all also am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves said says say told according mr mrs ms one two three new also year years week day days would could may might must shall per via amid";

/// The stopwords, and a sketch of them that tells most other words at a
/// glance: bit [`sketch_bit`] of each stopword is set, so a word whose bit is
/// clear is none (about one bit in twelve is set).
struct Stopwords {
    set: HashSet<&'static str>,
    sketch: [u64; 64],
}

/// One of 4096 bits for `word` (not empty), from its length and its first,
/// middle and last bytes.
#[inline]
fn sketch_bit(word: &[u8]) -> usize {
    let n = word.len();
    let x = u32::from(word[0])
        | u32::from(word[n / 2]) << 8
        | u32::from(word[n - 1]) << 16
        | (n as u32) << 24;
    (x.wrapping_mul(0x9E37_79B9) >> 20) as usize
}

#[inline]
fn stopwords() -> &'static Stopwords {
    static STOPWORDS: OnceLock<Stopwords> = OnceLock::new();
    STOPWORDS.get_or_init(|| {
        let set: HashSet<&'static str> = ARABIC.split(' ').chain(ENGLISH.split(' ')).collect();
        let mut sketch = [0u64; 64];
        for word in &set {
            let bit = sketch_bit(word.as_bytes());
            sketch[bit / 64] |= 1 << (bit % 64);
        }
        Stopwords { set, sketch }
    })
}

/// Whether `word` (in the matching form) is a stopword in Arabic or English.
#[inline]
pub fn is_stopword(word: &str) -> bool {
    let stopwords = stopwords();
    !word.is_empty()
        && {
            let bit = sketch_bit(word.as_bytes());
            stopwords.sketch[bit / 64] >> (bit % 64) & 1 != 0
        }
        && listed(stopwords, word)
}

// Out of line: the sketch alone answers for most words.
#[inline(never)]
fn listed(stopwords: &Stopwords, word: &str) -> bool {
    stopwords.set.contains(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_word_passes_the_sketch_and_few_bits_are_set() {
        for word in ARABIC.split(' ').chain(ENGLISH.split(' ')) {
            assert!(is_stopword(word), "{word}");
        }
        assert!(!is_stopword("") && !is_stopword("صواريخ") && !is_stopword("missiles"));
        let set: u32 = stopwords().sketch.iter().map(|w| w.count_ones()).sum();
        assert!(set < 4096 / 8, "{set} bits set");
    }
}
