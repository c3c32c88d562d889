//! Seeded random streams, one per parameter.
//!
//! Each parameter draws from its own ChaCha8 stream: the key is the seed expanded by SplitMix64,
//! the stream number is the FNV-1a hash of the parameter's name. A parameter's draws therefore
//! depend only on the seed, its name and its distribution, not on the order of the parameter list
//! or on which other parameters are present, so two runs that differ by one parameter share their
//! other draws (common random numbers), which keeps a comparison between them free of sampling
//! noise. Draws are generated in chunks of [`super::CHUNK_DRAWS`] (parameter by parameter within a
//! chunk, draw by draw within a parameter), the model is evaluated draw by draw in order, and every
//! sum runs in a fixed order, so results are identical bit for bit across runs.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

use super::Distribution;

/// SplitMix64 step (Steele, Lea and Flood 2014): expands the seed into the generator's key.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a, 64 bits: a parameter name's stream number.
pub(super) fn stream_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub(super) fn stream_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut state = seed;
    let mut key = [0u8; 32];
    for chunk in key.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream);
    rng
}

/// The first `draws` draws of the named parameter under `seed`: exactly the values
/// [`super::simulate`] feeds the model for this parameter.
pub fn parameter_draws(
    name: &str,
    distribution: &Distribution,
    draws: usize,
    seed: u64,
) -> Vec<f64> {
    let mut rng = stream_rng(seed, stream_of(name));
    (0..draws).map(|_| distribution.sample(&mut rng)).collect()
}
