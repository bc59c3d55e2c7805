//! Stopwords in the matching form: Arabic (MSA news register) and English.

use foldhash::HashSet;
use std::sync::OnceLock;

const ARABIC: &str = "في من الي علي على عن مع ان او ام ثم حتي اذا اذ لو لا لم لن ما ماذا متي اين كيف كل بعض غير بين بعد قبل عند عندما منذ خلال حول ضد دون تحت فوق امام وراء لدي لدى لكن لكنه لكنها بل قد لقد كان كانت يكون تكون كانوا يكن هو هي هم هن هما انا نحن انت انتم هذا هذه ذلك تلك هؤلاء اولئك الذي التي الذين اللذان اللتان اللواتي اللاتي هناك هنا اي ايضا فقط جدا كما مثل حيث بينما لان لأن انه انها انهم اننا الا سوف سيتم تم يتم وقد وكان وكانت وهو وهي وفي ومن والي وعلي وعن ومع وان وقال وقالت قال قالت يقول تقول اكد اكدت اضاف اضافت اشار اشارت ذكر ذكرت وفقا وفق نحو عام اليوم امس يوم ايام عدد احد احدي اول ثاني الاول الثاني كذلك وكذلك اما وهذا وهذه فيه فيها منه منها عليه عليها اليه اليها لها له لهم بها به بهم ذات هل بان بأن لدي الان حاليا عبر لما كلا كلي سواء عدة مما فان فإن وأن وان او ولا ولم ولن وما اذا فيما وفيما الذى التى ليس ليست اكثر اقل جميع بسبب لـ كي لكي اجل بشان بانه بانها ازاء حيال تجاه جراء ضمن حسب بحسب لصالح";

const ENGLISH: &str = "a about above after again against all also am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves said says say told according mr mrs ms one two three new also year years week day days would could may might must shall per via amid";

fn set() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| ARABIC.split(' ').chain(ENGLISH.split(' ')).collect())
}

/// Whether `word` (in the matching form) is a stopword in Arabic or English.
pub fn is_stopword(word: &str) -> bool {
    set().contains(word)
}
