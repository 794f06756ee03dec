//! The seeded random generator of one environment instance.
//!
//! It is NumPy's default generator, bit for bit: `PCG64` (128-bit LCG with the XSL-RR
//! output function) seeded through `SeedSequence`, so `Rng::seeded(42)` produces the
//! same raw stream as `np.random.Generator(np.random.PCG64(np.random.SeedSequence(42)))`,
//! and [`Rng::uniform`] the same doubles as `Generator.uniform`. That is what lets a
//! plant reproduce a Gymnasium environment's resets exactly (CartPole draws its initial
//! state with `np_random.uniform(-0.05, 0.05, 4)`).
//!
//! Normal draws use the Marsaglia polar method on this stream. They are deterministic
//! but not NumPy's ziggurat, so they do not match `Generator.normal` value for value.

/// NumPy's PCG64 state, `#[repr(C)]` so generated code can pass a pointer to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Rng {
    state: u128,
    inc: u128,
}

const PCG_MULT: u128 = (2549297995355413924u128 << 64) | 4865540595714422341u128;

// SeedSequence constants (numpy/random/bit_generator.pyx).
const INIT_A: u32 = 0x43b0_d7e5;
const MULT_A: u32 = 0x931e_8875;
const INIT_B: u32 = 0x8b51_f9dd;
const MULT_B: u32 = 0x58f3_8ded;
const MIX_MULT_L: u32 = 0xca01_f9dd;
const MIX_MULT_R: u32 = 0x4973_f715;
const XSHIFT: u32 = 16;
const POOL_SIZE: usize = 4;

impl Rng {
    /// The generator NumPy builds for `SeedSequence(seed)`.
    pub fn seeded(seed: u64) -> Rng {
        let pool = seed_sequence_pool(seed);
        let words = generate_state(&pool, 8);
        let w64 = |i: usize| (words[2 * i] as u64) | ((words[2 * i + 1] as u64) << 32);
        let seed128 = ((w64(0) as u128) << 64) | w64(1) as u128;
        let inc128 = ((w64(2) as u128) << 64) | w64(3) as u128;
        let mut rng = Rng {
            state: 0,
            inc: (inc128 << 1) | 1,
        };
        rng.advance();
        rng.state = rng.state.wrapping_add(seed128);
        rng.advance();
        rng
    }

    fn advance(&mut self) {
        self.state = self.state.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
    }

    /// The next raw 64-bit output.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.advance();
        let s = self.state;
        let rot = (s >> 122) as u32;
        (((s >> 64) as u64) ^ (s as u64)).rotate_right(rot)
    }

    /// A double in `[0, 1)`: `(u64 >> 11) * 2^-53`, as NumPy's `random()`.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9007199254740992.0)
    }

    /// A uniform draw in `[lo, hi)`: `lo + (hi - lo) * next_f64()`, as NumPy's `uniform`.
    #[inline]
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// A normal draw with mean `mean` and standard deviation `sd` (Marsaglia's polar
    /// method; each call consumes its own pair of uniforms, nothing is cached).
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        loop {
            let u = 2.0 * self.next_f64() - 1.0;
            let v = 2.0 * self.next_f64() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                return mean + sd * (u * (-2.0 * s.ln() / s).sqrt());
            }
        }
    }

    /// A whole number in `0..n` (`n >= 1`), unbiased (Lemire's method on 64 bits).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n >= 1);
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }
}

/// The entropy pool of `SeedSequence(seed)` (no spawn key).
fn seed_sequence_pool(seed: u64) -> [u32; POOL_SIZE] {
    // An int becomes its 32-bit words, least significant first; 0 is one zero word.
    let entropy: Vec<u32> = if seed >> 32 == 0 {
        vec![seed as u32]
    } else {
        vec![seed as u32, (seed >> 32) as u32]
    };
    let mut hash_const = INIT_A;
    let mut hashmix = |value: u32| {
        let mut v = value ^ hash_const;
        hash_const = hash_const.wrapping_mul(MULT_A);
        v = v.wrapping_mul(hash_const);
        v ^ (v >> XSHIFT)
    };
    let mix = |x: u32, y: u32| {
        let r = MIX_MULT_L
            .wrapping_mul(x)
            .wrapping_sub(MIX_MULT_R.wrapping_mul(y));
        r ^ (r >> XSHIFT)
    };
    let mut pool = [0u32; POOL_SIZE];
    for (i, slot) in pool.iter_mut().enumerate() {
        *slot = hashmix(entropy.get(i).copied().unwrap_or(0));
    }
    for src in 0..POOL_SIZE {
        for dst in 0..POOL_SIZE {
            if src != dst {
                let h = hashmix(pool[src]);
                pool[dst] = mix(pool[dst], h);
            }
        }
    }
    // Entropy longer than the pool is folded in afterwards (never the case for u64).
    for &word in entropy.iter().skip(POOL_SIZE) {
        for slot in pool.iter_mut() {
            let h = hashmix(word);
            *slot = mix(*slot, h);
        }
    }
    pool
}

/// `SeedSequence.generate_state(n_words32 / 2, uint64)` as 32-bit words.
fn generate_state(pool: &[u32; POOL_SIZE], n_words32: usize) -> Vec<u32> {
    let mut hash_const = INIT_B;
    (0..n_words32)
        .map(|i| {
            let mut v = pool[i % POOL_SIZE] ^ hash_const;
            hash_const = hash_const.wrapping_mul(MULT_B);
            v = v.wrapping_mul(hash_const);
            v ^ (v >> XSHIFT)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_seed_sequence_state() {
        // np.random.PCG64(42).state
        let rng = Rng::seeded(42);
        assert_eq!(rng.state, 274674114334540486603088602300644985544);
        assert_eq!(rng.inc, 332724090758049132448979897138935081983);
    }

    #[test]
    fn matches_numpy_uniform_draws() {
        // Generator(PCG64(SeedSequence(42))).uniform(-0.05, 0.05, 4): CartPole's reset.
        let mut rng = Rng::seeded(42);
        let got: Vec<f64> = (0..4).map(|_| rng.uniform(-0.05, 0.05)).collect();
        assert_eq!(
            got,
            [
                0.027395604855596334,
                -0.006112156024794771,
                0.03585979199113824,
                0.019736802905936393
            ]
        );
        // Generator(PCG64(0)).random(2)
        let mut rng = Rng::seeded(0);
        assert_eq!(rng.next_f64(), 0.6369616873214543);
        assert_eq!(rng.next_f64(), 0.2697867137638703);
    }

    #[test]
    fn normal_draws_have_the_right_moments() {
        let mut rng = Rng::seeded(7);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.normal(3.0, 2.0)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 3.0).abs() < 0.05, "{mean}");
        assert!((var.sqrt() - 2.0).abs() < 0.05, "{var}");
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::seeded(1);
        let mut seen = [0u32; 5];
        for _ in 0..1000 {
            seen[rng.below(5) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 150), "{seen:?}");
    }
}
