//! A vector that lives on the stack until it outgrows `N` elements.

/// Holds up to `N` items inline, then moves to the heap. Keeps the common
/// request (a handful of headers and query parameters) allocation-free.
pub(crate) struct StackVec<T: Copy + Default, const N: usize> {
    inline: [T; N],
    len: usize,
    spill: Option<Vec<T>>,
}

impl<T: Copy + Default, const N: usize> StackVec<T, N> {
    pub(crate) fn new() -> Self {
        Self {
            inline: [T::default(); N],
            len: 0,
            spill: None,
        }
    }

    pub(crate) fn push(&mut self, item: T) {
        match &mut self.spill {
            Some(v) => v.push(item),
            None => {
                if let Some(slot) = self.inline.get_mut(self.len) {
                    *slot = item;
                } else {
                    let mut v = Vec::with_capacity(N * 2);
                    v.extend_from_slice(&self.inline);
                    v.push(item);
                    self.spill = Some(v);
                }
            }
        }
        self.len += 1;
    }

    pub(crate) fn pop(&mut self) {
        if self.len == 0 {
            return;
        }
        if let Some(v) = &mut self.spill {
            v.pop();
        }
        self.len -= 1;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        match &self.spill {
            Some(v) => v,
            None => self.inline.get(..self.len).unwrap_or(&[]),
        }
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        match &mut self.spill {
            Some(v) => v,
            None => self.inline.get_mut(..self.len).unwrap_or(&mut []),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StackVec;

    #[test]
    fn spills_past_capacity_and_keeps_order() {
        let mut v: StackVec<u32, 4> = StackVec::new();
        for i in 0..10 {
            v.push(i);
            assert_eq!(v.len(), usize::try_from(i + 1).unwrap());
        }
        assert_eq!(v.as_slice(), &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        v.as_mut_slice().reverse();
        assert_eq!(v.as_slice().first(), Some(&9));
        for _ in 0..9 {
            v.pop();
        }
        assert_eq!(v.as_slice(), &[9]);
        v.pop();
        v.pop();
        assert_eq!(v.len(), 0);
    }
}
