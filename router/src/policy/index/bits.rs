//! A growable set of small indexes (agent rows, group numbers) as 64-bit words, so set
//! operations and counts are a few word-wise steps.

/// A set of indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    /// An empty set with room for `len` indexes.
    pub(crate) fn empty(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)],
        }
    }

    /// The set of every index below `len`.
    pub(crate) fn full(len: usize) -> Self {
        let mut words = vec![u64::MAX; len.div_ceil(64)];
        if let Some(last) = words.last_mut()
            && !len.is_multiple_of(64)
        {
            *last = (1u64 << (len % 64)) - 1;
        }
        Self { words }
    }

    /// Adds an index, growing the set when needed.
    pub(crate) fn insert(&mut self, index: usize) {
        self.set(index, true);
    }

    /// Adds or removes an index, growing the set when needed.
    pub(crate) fn set(&mut self, index: usize, member: bool) {
        let word = index / 64;
        if word >= self.words.len() {
            if !member {
                return;
            }
            self.words.resize(word + 1, 0);
        }
        let bit = 1u64 << (index % 64);
        if member {
            self.words[word] |= bit;
        } else {
            self.words[word] &= !bit;
        }
    }

    pub(crate) fn contains(&self, index: usize) -> bool {
        self.words
            .get(index / 64)
            .is_some_and(|word| word & (1 << (index % 64)) != 0)
    }

    /// The word holding indexes `64 * word ..`; 0 past the end.
    pub(crate) fn word(&self, word: usize) -> u64 {
        self.words.get(word).copied().unwrap_or(0)
    }

    /// The words, lowest indexes first.
    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }

    pub(crate) fn and(&mut self, other: &BitSet) {
        for (index, word) in self.words.iter_mut().enumerate() {
            *word &= other.word(index);
        }
    }

    pub(crate) fn or(&mut self, other: &BitSet) {
        if self.words.len() < other.words.len() {
            self.words.resize(other.words.len(), 0);
        }
        for (word, theirs) in self.words.iter_mut().zip(&other.words) {
            *word |= theirs;
        }
    }

    pub(crate) fn and_not(&mut self, other: &BitSet) {
        for (word, theirs) in self.words.iter_mut().zip(&other.words) {
            *word &= !theirs;
        }
    }

    pub(crate) fn count(&self) -> u32 {
        self.words.iter().map(|word| word.count_ones()).sum()
    }

    /// Returns the indexes in the set, lowest first.
    pub(crate) fn ones(&self) -> impl Iterator<Item = u32> + '_ {
        self.words
            .iter()
            .enumerate()
            .flat_map(|(index, &word)| ones_of(index, word))
    }
}

/// The indexes of the bits set in `word`, the `index`-th word of a set, lowest first.
pub(crate) fn ones_of(index: usize, word: u64) -> impl Iterator<Item = u32> {
    let base = u32::try_from(index * 64).unwrap_or(u32::MAX);
    let mut rest = word;
    std::iter::from_fn(move || {
        if rest == 0 {
            return None;
        }
        let bit = rest.trailing_zeros();
        rest &= rest - 1;
        Some(base + bit)
    })
}

#[cfg(test)]
mod tests {
    use super::BitSet;

    #[test]
    fn sets_grow_and_combine_word_wise() {
        let mut set = BitSet::empty(10);
        set.insert(3);
        set.insert(130);
        assert!(set.contains(130) && set.contains(3) && !set.contains(4));
        assert_eq!(set.ones().collect::<Vec<_>>(), vec![3, 130]);
        set.set(3, false);
        set.set(999, false);
        assert_eq!(set.count(), 1);
        let mut full = BitSet::full(70);
        assert_eq!(full.count(), 70);
        full.and_not(&set);
        assert_eq!(full.count(), 70);
        full.and(&BitSet::full(65));
        assert_eq!(full.count(), 65);
        full.or(&set);
        assert_eq!(full.count(), 66);
        assert_eq!(full.word(5), 0);
    }
}
