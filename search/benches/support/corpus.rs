//! Generated items, the way the floor generates them (`shared/floor`, `src/corpus.rs`: the same
//! Zipf vocabulary, subject and body sizes, seeds), but as this crate's documents: language
//! slots, identifier extraction, stored text for snippets.

use chrono::{TimeZone, Utc};
use switchboard_core::item::{Channel, ItemStatus, Language, SenderIdentity};
use switchboard_core::{CustomerNo, QueueId, WorkItemId};
use switchboard_search::index::ItemDoc;

// ---- corpus: copied from the floor so both index the same kind of text ----

/// splitmix64: small, fast, deterministic.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const BASE_WORDS: &[&str] = &[
    // frequent Dutch function words and contact-centre vocabulary
    "de",
    "het",
    "een",
    "en",
    "van",
    "ik",
    "te",
    "dat",
    "die",
    "in",
    "is",
    "niet",
    "op",
    "aan",
    "met",
    "voor",
    "zijn",
    "er",
    "maar",
    "om",
    "ook",
    "als",
    "dan",
    "bij",
    "nog",
    "wij",
    "mijn",
    "uw",
    "u",
    "graag",
    "bestelling",
    "factuur",
    "levering",
    "retour",
    "pakket",
    "klant",
    "klantnummer",
    "ordernummer",
    "betaling",
    "terugbetaling",
    "adres",
    "wijziging",
    "abonnement",
    "opzegging",
    "klacht",
    "vraag",
    "antwoord",
    "contact",
    "telefoon",
    "email",
    "brief",
    "fax",
    "voicemail",
    "bijlage",
    "document",
    "contract",
    "verzekering",
    "schade",
    "polis",
    "aanvraag",
    "bevestiging",
    "vriendelijke",
    "groet",
    "groeten",
    "beste",
    "geachte",
    "heer",
    "mevrouw",
    "dank",
    "bedankt",
    "alvast",
    "spoedig",
    "mogelijk",
    "week",
    "dag",
    "maand",
    "gisteren",
    "vandaag",
    "morgen",
    "ontvangen",
    "verstuurd",
    "geleverd",
    "beschadigd",
    "kapot",
    "verkeerd",
    "ontbreekt",
    "gemist",
    "bezorger",
    "bezorging",
    "track",
    "code",
    "status",
    "rekening",
    "iban",
    "bedrag",
    "euro",
    "korting",
    "actie",
    "product",
    "artikel",
    "maat",
    "kleur",
    "garantie",
    "reparatie",
    "monteur",
    "afspraak",
    "storing",
    "internet",
    "verbinding",
    "modem",
    "router",
    "wachtwoord",
    "account",
    "inloggen",
    "app",
    "website",
    "formulier",
    "handtekening",
    "machtiging",
    "incasso",
    "herinnering",
    "aanmaning",
    "incassobureau",
    "termijn",
    "regeling",
    "uitstel",
    "verhuizing",
    "nieuwe",
    "oude",
    "graag",
    "snel",
    "langzaam",
    "teleurgesteld",
    "tevreden",
    "ontevreden",
    "probleem",
    "oplossing",
    "medewerker",
    "afdeling",
    "klantenservice",
    "terugbellen",
    "wachttijd",
    "gesprek",
    "nummer",
    "één",
    "café",
    "reünie",
    "privé",
    "coördinator",
    "geïnteresseerd",
    "financiële",
    "ideeën",
    // frequent English words (mixed-language inbox)
    "the",
    "to",
    "and",
    "of",
    "a",
    "for",
    "your",
    "order",
    "invoice",
    "delivery",
    "refund",
    "please",
    "thank",
    "you",
    "we",
    "our",
    "customer",
    "service",
    "request",
    "account",
    "payment",
    "number",
    "attached",
    "regards",
    "kind",
    "dear",
    "issue",
    "problem",
    "received",
    "shipped",
    "damaged",
    "cancel",
    "subscription",
    "address",
    "change",
    "contract",
    "policy",
    "claim",
    "urgent",
    "asap",
];

const SYLLABLES: &[&str] = &[
    "ka", "ver", "bes", "tel", "lin", "gen", "or", "der", "fac", "tuur", "re", "tour", "pak",
    "ket", "be", "zor", "ging", "klant", "num", "mer", "an", "ton", "jan", "sen", "de", "vries",
    "bak", "ker", "mo", "len", "aar", "dam", "rot", "ter", "hui", "zen", "berg", "veld", "hof",
    "stra", "wijk", "broek", "land", "kamp", "poel", "dijk", "meer", "bos", "heuvel", "zand",
];

pub struct Vocab {
    pub words: Vec<String>,
    /// quantised inverse CDF: uniform u20 -> rank
    table: Vec<u32>,
}

impl Vocab {
    /// Vocabulary of `size` distinct words; Zipf exponent 1.0 over ranks.
    pub fn new(size: usize) -> Self {
        let mut words: Vec<String> = Vec::with_capacity(size);
        let mut seen = std::collections::HashSet::new();
        for w in BASE_WORDS {
            if seen.insert(w.to_string()) {
                words.push(w.to_string());
            }
        }
        let mut i: usize = 0;
        while words.len() < size {
            // synthetic word from 2-4 syllables, deterministic in i
            let mut x = i;
            let nsyl = 2 + (i % 3);
            let mut w = String::new();
            for _ in 0..nsyl {
                w.push_str(SYLLABLES[x % SYLLABLES.len()]);
                x /= SYLLABLES.len();
                x = x.wrapping_mul(31).wrapping_add(i / 7);
            }
            if seen.insert(w.clone()) {
                words.push(w);
            }
            i += 1;
        }
        // Zipf(1.0) cdf, quantised into 2^20 buckets
        let h: f64 = (1..=size).map(|r| 1.0 / r as f64).sum();
        let mut table = Vec::with_capacity(1 << 20);
        let mut cum = 0.0;
        let mut rank = 0usize;
        for b in 0..(1u32 << 20) {
            let u = (b as f64 + 0.5) / (1u64 << 20) as f64;
            while rank < size - 1 && cum + (1.0 / (rank + 1) as f64) / h < u {
                cum += (1.0 / (rank + 1) as f64) / h;
                rank += 1;
            }
            table.push(rank as u32);
        }
        Vocab { words, table }
    }

    fn sample<'a>(&'a self, rng: &mut Rng) -> &'a str {
        let b = (rng.next_u64() >> 44) as usize;
        &self.words[self.table[b] as usize]
    }

    /// Text of at least `min_bytes` bytes: sentences of Zipf words, with
    /// occasional order / customer numbers.
    fn text(&self, rng: &mut Rng, min_bytes: usize) -> String {
        let mut s = String::with_capacity(min_bytes + 64);
        let mut in_sentence = 0;
        while s.len() < min_bytes {
            let r = rng.below(100);
            if r == 0 {
                s.push_str(&format!("ORD-{:07}", rng.below(10_000_000)));
            } else if r == 1 {
                s.push_str(&format!("KL{:06}", rng.below(1_000_000)));
            } else {
                let w = self.sample(rng);
                if in_sentence == 0 {
                    let mut c = w.chars();
                    if let Some(f) = c.next() {
                        s.extend(f.to_uppercase());
                        s.push_str(c.as_str());
                    }
                } else {
                    s.push_str(w);
                }
            }
            in_sentence += 1;
            if in_sentence > 6 && rng.below(8) == 0 {
                s.push('.');
                in_sentence = 0;
                if rng.below(5) == 0 {
                    s.push_str("\n\n");
                    continue;
                }
            }
            s.push(' ');
        }
        s
    }
}

// ---- items through this crate's schema ----

pub const CHANNELS: [Channel; 4] = [
    Channel::Email,
    Channel::Fax,
    Channel::Voicemail,
    Channel::Letter,
];
const STATUSES: [ItemStatus; 4] = [
    ItemStatus::Queued,
    ItemStatus::Assigned,
    ItemStatus::Done,
    ItemStatus::Waiting,
];
pub const START: i64 = 1_767_225_600;

/// Generates an item the way the floor's `gen_item` does (same random draws for subject, body
/// and sender), plus the fields this schema filters on.
pub fn gen_item(vocab: &Vocab, rng: &mut Rng, id: i64) -> ItemDoc {
    let slen = 30 + rng.below(40) as usize;
    let subject = vocab.text(rng, slen);
    let subject = subject.trim().trim_end_matches('.').to_string();
    let body = vocab.text(rng, 2000);
    let sender = format!(
        "{}.{}@{}.nl",
        vocab.words[(rng.below(400) + 200) as usize],
        vocab.words[(rng.below(5000) + 600) as usize],
        ["example", "voorbeeld", "klantmail", "bedrijf"][rng.below(4) as usize]
    );
    let channel = CHANNELS[rng.below(4) as usize];
    let received_at = START + id * 7 + rng.below(5) as i64;
    // The floor draws seven metadata values here; drawing as many keeps the texts identical.
    let customer = rng.below(1_000_000);
    let _order = rng.below(10_000_000);
    let _attachments = rng.below(3);
    let status = STATUSES[(rng.below(5) % 4) as usize];
    let queue = rng.below(4);
    let language = [Language::Dutch, Language::English, Language::German][rng.below(3) as usize];
    let _score = rng.below(1000);
    ItemDoc {
        id: WorkItemId::new(id),
        channel,
        status,
        language: Some(language),
        received_at: Utc.timestamp_opt(received_at, 0).unwrap(),
        subject: Some(subject),
        text: body,
        sender: SenderIdentity {
            name: None,
            email: Some(sender),
            phone: None,
        },
        attachment_names: Vec::new(),
        customer_no: (customer < 750_000)
            .then(|| CustomerNo::new(format!("{:010}", 100_000 + customer % 20_000))),
        order_nos: Vec::new(),
        queue_id: Some(QueueId::new(queue as i64)),
    }
}

/// Terms sampled log-uniformly over vocabulary rank, as the floor samples them.
pub fn query_terms(vocab: &Vocab, rng: &mut Rng, n: usize, terms: usize) -> Vec<String> {
    let v = vocab.words.len() as f64;
    (0..n)
        .map(|_| {
            let mut q = Vec::new();
            while q.len() < terms {
                let rank = (v.powf(rng.f64()) as usize).min(vocab.words.len() - 1);
                let w = &vocab.words[rank];
                if w.chars().all(|c| c.is_ascii_alphanumeric()) && w.len() > 2 {
                    q.push(w.clone());
                }
            }
            q.join(" ")
        })
        .collect()
}
