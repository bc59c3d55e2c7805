use hashbrown::HashMap;

#[cfg(test)]
use super::LangProfile;
use super::LangProfileList;
use super::utils::{TrigramsWithPositions, get_trigrams_with_positions};
use super::{ARABIC_LANGS, CYRILLIC_LANGS, DEVANAGARI_LANGS, HEBREW_LANGS, LATIN_LANGS};
use super::{MAX_TOTAL_DISTANCE, MAX_TRIGRAM_DISTANCE, Trigram};
use crate::Lang;
use crate::core::{FilterList, Info, InternalQuery, Text, calculate_confidence};
use crate::scripts::grouping::MultiLangScript;

#[derive(Debug)]
pub struct RawOutcome {
    pub trigrams_count: usize,
    #[allow(dead_code)]
    pub raw_distances: Vec<(Lang, u32)>,
    pub scores: Vec<(Lang, f64)>,
}

#[inline]
pub fn detect(iquery: &InternalQuery) -> Option<Info> {
    let raw_outcome = raw_detect(iquery);
    let RawOutcome {
        trigrams_count,
        scores,
        ..
    } = raw_outcome;

    let mut raw_scores_iter = scores.into_iter();

    let opt_lang_score1 = raw_scores_iter.next();
    let opt_lang_score2 = raw_scores_iter.next();

    // TODO: Logic is duplicated in alphabets. Consider refactoring
    opt_lang_score1.map(|(lang1, score1)| {
        let script = iquery.multi_lang_script.to_script();
        let confidence = if let Some((_, score2)) = opt_lang_score2 {
            calculate_confidence(score1, score2, trigrams_count)
        } else {
            1.0
        };
        Info::new(script, lang1, confidence)
    })
}

#[inline]
pub fn raw_detect(iquery: &InternalQuery) -> RawOutcome {
    let lang_profile_list = script_to_lang_profile_list(iquery.multi_lang_script);
    calculate_scores_in_profiles(
        &iquery.text,
        iquery.filter_list,
        lang_profile_list,
        inverted_profiles(iquery.multi_lang_script),
    )
}

// Akhbar's change (see AKHBAR.md): the profiles of a script, inverted.
//
// Upstream looks each of a profile's 300 trigrams up in the text's trigrams,
// for every language of the script (10,500 hash lookups for Latin). Here each
// of the text's trigrams (at most 600) is looked up once in an index of all
// the script's profiles, and the distances are summed from the (profile,
// rank) pairs found. The sums are the same integers, so are the results.

/// Every trigram of a script's profiles, with the profiles listing it.
struct InvertedProfiles {
    /// Trigram -> its range in `entries`.
    at: HashMap<Trigram, (u32, u32)>,
    /// (index in the profile list, rank in that profile).
    entries: Vec<(u16, u16)>,
}

impl InvertedProfiles {
    fn new(list: LangProfileList) -> Self {
        let mut by_trigram: HashMap<Trigram, Vec<(u16, u16)>> = HashMap::new();
        for (li, &(_, profile)) in list.iter().enumerate() {
            for (rank, &trigram) in profile.iter().enumerate() {
                by_trigram
                    .entry(trigram)
                    .or_default()
                    .push((li as u16, rank as u16));
            }
        }
        let mut entries = Vec::with_capacity(by_trigram.values().map(Vec::len).sum());
        let mut at = HashMap::with_capacity(by_trigram.len());
        for (trigram, pairs) in by_trigram {
            at.insert(trigram, (entries.len() as u32, pairs.len() as u32));
            entries.extend(pairs);
        }
        InvertedProfiles { at, entries }
    }
}

fn inverted_profiles(script: MultiLangScript) -> &'static InvertedProfiles {
    use MultiLangScript as MLS;
    use std::sync::OnceLock;
    static LATIN: OnceLock<InvertedProfiles> = OnceLock::new();
    static CYRILLIC: OnceLock<InvertedProfiles> = OnceLock::new();
    static ARABIC: OnceLock<InvertedProfiles> = OnceLock::new();
    static DEVANAGARI: OnceLock<InvertedProfiles> = OnceLock::new();
    static HEBREW: OnceLock<InvertedProfiles> = OnceLock::new();
    let cell = match script {
        MLS::Latin => &LATIN,
        MLS::Cyrillic => &CYRILLIC,
        MLS::Arabic => &ARABIC,
        MLS::Devanagari => &DEVANAGARI,
        MLS::Hebrew => &HEBREW,
    };
    cell.get_or_init(|| InvertedProfiles::new(script_to_lang_profile_list(script)))
}

fn script_to_lang_profile_list(script: MultiLangScript) -> LangProfileList {
    use MultiLangScript as MLS;
    match script {
        MLS::Latin => LATIN_LANGS,
        MLS::Cyrillic => CYRILLIC_LANGS,
        MLS::Arabic => ARABIC_LANGS,
        MLS::Devanagari => DEVANAGARI_LANGS,
        MLS::Hebrew => HEBREW_LANGS,
    }
}

#[inline]
fn calculate_scores_in_profiles(
    text: &Text,
    filter_list: &FilterList,
    lang_profile_list: LangProfileList,
    inverted: &InvertedProfiles,
) -> RawOutcome {
    let mut lang_distances: Vec<(Lang, u32)> = vec![];

    let TrigramsWithPositions {
        trigram_positions, ..
    } = get_trigrams_with_positions(&text.lowercase());
    let unique_trigrams_count = trigram_positions.len();

    // For each profile: the sum of |position in text - rank in profile| over
    // its trigrams found in the text, and how many it found.
    let mut found_dist = vec![0u32; lang_profile_list.len()];
    let mut found = vec![0u32; lang_profile_list.len()];
    for &(ref trigram, n) in &trigram_positions {
        if let Some(&(start, len)) = inverted.at.get(trigram) {
            for &(li, rank) in &inverted.entries[start as usize..(start + len) as usize] {
                found_dist[li as usize] += (n as i32 - i32::from(rank)).unsigned_abs();
                found[li as usize] += 1;
            }
        }
    }

    for (li, &(lang, lang_trigrams)) in lang_profile_list.iter().enumerate() {
        if !filter_list.is_allowed(lang) {
            continue;
        }
        let missing = lang_trigrams.len() as u32 - found[li];
        let total_dist = found_dist[li] + missing * MAX_TRIGRAM_DISTANCE;
        let dist = bound_distance(total_dist, trigram_positions.len() as u32);
        lang_distances.push(((lang), dist));
    }

    // Sort languages by distance
    lang_distances.sort_unstable_by_key(|(_, dist)| *dist);

    let max_dist = unique_trigrams_count as u32 * MAX_TRIGRAM_DISTANCE;

    let raw_scores = lang_distances
        .iter()
        .map(|&(lang, distance)| (lang, distance_to_raw_score(distance, max_dist)))
        .collect();

    RawOutcome {
        trigrams_count: unique_trigrams_count,
        scores: raw_scores,
        raw_distances: lang_distances,
    }
}

/// Upstream's distance of one profile, kept to test the index against.
#[cfg(test)]
fn calculate_distance(lang_trigrams: LangProfile, text_trigrams: &HashMap<Trigram, u32>) -> u32 {
    let mut total_dist = 0u32;

    for (i, &trigram) in lang_trigrams.iter().enumerate() {
        let dist = match text_trigrams.get(&trigram) {
            Some(&n) => (n as i32 - i as i32).unsigned_abs(),
            None => MAX_TRIGRAM_DISTANCE,
        };
        total_dist += dist;
    }

    bound_distance(total_dist, text_trigrams.len() as u32)
}

/// Upstream's end of `calculate_distance`: a text with fewer trigrams than
/// a profile is not charged for the ones it cannot have.
#[inline]
fn bound_distance(mut total_dist: u32, count: u32) -> u32 {
    if MAX_TRIGRAM_DISTANCE > count {
        let delta = MAX_TRIGRAM_DISTANCE - count;
        total_dist -= delta * MAX_TRIGRAM_DISTANCE;
    }

    total_dist.clamp(0, MAX_TOTAL_DISTANCE)
}

#[inline]
fn distance_to_raw_score(distance: u32, max_distance: u32) -> f64 {
    let similarity = max_distance - distance;
    similarity as f64 / max_distance as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_when_german_is_given() {
        let text = "Die Ordnung muss für immer in diesem Codebase bleiben";
        let iq = InternalQuery {
            text: Text::new(text),
            filter_list: &FilterList::default(),
            multi_lang_script: MultiLangScript::Latin,
        };
        let raw_outcome = raw_detect(&iq);

        assert_eq!(raw_outcome.trigrams_count, 50);

        let &(first_lang, first_score) = raw_outcome.scores.first().unwrap();
        let &(_last_lang, last_score) = raw_outcome.scores.last().unwrap();

        assert_eq!(first_lang, Lang::Deu);

        assert!(first_score >= 0.0);
        assert!(first_score <= 1.0);

        assert!(last_score >= 0.0);
        assert!(last_score <= 1.0);
    }
}
