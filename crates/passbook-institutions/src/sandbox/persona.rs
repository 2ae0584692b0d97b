//! Who a sandbox login belongs to, derived from the username so that it is the same on every
//! login.
use passbook_domain::model::Identity;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::names::{EMPLOYERS, FIRST_NAMES, LAST_NAMES, PHONE_PREFIXES, STATES, STREETS};
use super::seed;

#[derive(Debug, Clone)]
pub struct Persona {
    pub first: &'static str,
    pub last: &'static str,
    pub middle: &'static str,
    pub employer: &'static str,
    pub identity: Identity,
}

impl Persona {
    pub fn full_name(&self) -> String {
        format!("{} {} {}", self.first, self.middle, self.last).to_uppercase()
    }

    pub fn for_username(username: &str) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed(&["persona", username]));
        let first = pick(&mut rng, FIRST_NAMES);
        let middle = pick(&mut rng, FIRST_NAMES);
        let last = pick(&mut rng, LAST_NAMES);
        let (state, lga) = pick(&mut rng, STATES);
        let phone = format!("{}{:07}", pick(&mut rng, PHONE_PREFIXES), rng.random_range(0..10_000_000));
        let identity = Identity {
            full_name: format!("{first} {middle} {last}").to_uppercase(),
            bvn: Some(format!("22{:09}", rng.random_range(0..1_000_000_000u64))),
            email: Some(format!("{}.{}@example.ng", first.to_lowercase(), last.to_lowercase())),
            phone: Some(phone),
            gender: Some(if rng.random_bool(0.5) { "male" } else { "female" }.into()),
            dob: Some(format!(
                "{}-{:02}-{:02}",
                rng.random_range(1965..2004),
                rng.random_range(1..=12),
                rng.random_range(1..=28)
            )),
            address_line1: Some(format!("{} {}", rng.random_range(1..120), pick(&mut rng, STREETS))),
            address_line2: None,
            state_of_origin: Some(state.to_string()),
            lga_of_origin: Some(lga.to_string()),
            marital_status: Some(if rng.random_bool(0.5) { "single" } else { "married" }.into()),
        };
        Self { first, last, middle, employer: pick(&mut rng, EMPLOYERS), identity }
    }
}

pub fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// A 10-digit NUBAN: a 9-digit serial and the CBN check digit over the bank code and serial.
pub fn nuban(bank_code: &str, serial: u64) -> String {
    let serial = format!("{:09}", serial % 1_000_000_000);
    let code: String = bank_code.chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
    let digits = format!("{code:0>3}{serial}");
    let weights = [3, 7, 3, 3, 7, 3, 3, 7, 3, 3, 7, 3];
    let sum: u32 = digits.chars().zip(weights).map(|(c, w)| c.to_digit(10).unwrap_or(0) * w).sum();
    let check = (10 - sum % 10) % 10;
    format!("{serial}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personas_are_stable() {
        let a = Persona::for_username("user_good");
        let b = Persona::for_username("user_good");
        assert_eq!(a.identity, b.identity);
        assert_eq!(a.identity.bvn.as_ref().unwrap().len(), 11);
    }

    #[test]
    fn nuban_check_digit() {
        // Worked example from the CBN NUBAN specification: bank 011, serial 000001457.
        assert_eq!(nuban("011", 1457), "0000014579");
        assert_eq!(nuban("058", 123).len(), 10);
    }
}
