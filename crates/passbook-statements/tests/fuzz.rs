//! Generated inputs: every sample statement cut short, with bytes flipped, lines dropped and
//! duplicated, and random bytes, through every reader. No input may panic; each is read or
//! refused. `PASSBOOK_FUZZ_ROUNDS` sets how many variants of each sample and `PASSBOOK_FUZZ_SEED`
//! the seed (CI runs the defaults).
use passbook_domain::statement_file::StatementReader;
use passbook_statements::FileReader;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod common;

fn mutate(rng: &mut ChaCha8Rng, original: &[u8]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    match rng.random_range(0..6) {
        0 => bytes.truncate(rng.random_range(0..=bytes.len())),
        1 => {
            for _ in 0..rng.random_range(1..16) {
                let i = rng.random_range(0..bytes.len().max(1));
                if let Some(b) = bytes.get_mut(i) {
                    *b ^= 1 << rng.random_range(0..8);
                }
            }
        }
        2 => {
            // Drop or repeat a line.
            let lines: Vec<&[u8]> = original.split(|b| *b == b'\n').collect();
            let i = rng.random_range(0..lines.len());
            let mut out: Vec<&[u8]> = lines.clone();
            if rng.random_bool(0.5) {
                out.remove(i);
            } else {
                out.insert(i, lines[i]);
            }
            bytes = out.join(&b'\n');
        }
        3 => {
            let at = rng.random_range(0..=bytes.len());
            let junk: Vec<u8> = (0..rng.random_range(1..64)).map(|_| rng.random()).collect();
            bytes.splice(at..at, junk);
        }
        4 => {
            // Digits replaced by other digits and separators.
            for b in bytes.iter_mut().filter(|b| b.is_ascii_digit()) {
                if rng.random_bool(0.05) {
                    *b = b"0123456789.,-"[rng.random_range(0..13)];
                }
            }
        }
        _ => bytes = (0..rng.random_range(0..4096)).map(|_| rng.random()).collect(),
    }
    bytes
}

#[test]
fn no_input_makes_a_reader_panic() {
    let rounds: usize = std::env::var("PASSBOOK_FUZZ_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(25);
    let dir = common::samples_dir();
    let reader = FileReader::default();
    let seed = std::env::var("PASSBOOK_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut read = 0;
    for sub in ["ofx", "camt053", "mt940", "csv", "xlsx", "pdf"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let original = std::fs::read(&path).unwrap();
            for _ in 0..rounds {
                let input = mutate(&mut rng, &original);
                let name = path.file_name().map(|n| n.to_string_lossy().to_string());
                let _ = reader.read(&input, name.as_deref(), Some("foobar123"));
                read += 1;
            }
        }
    }
    assert!(read >= 63 * rounds);
}
