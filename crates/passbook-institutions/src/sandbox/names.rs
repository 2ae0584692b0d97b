//! Word lists for realistic Nigerian personas and narrations.

pub const FIRST_NAMES: &[&str] = &[
    "Adebayo",
    "Chinedu",
    "Ngozi",
    "Oluwaseun",
    "Aisha",
    "Emeka",
    "Funmilayo",
    "Ibrahim",
    "Chiamaka",
    "Tunde",
    "Yetunde",
    "Obinna",
    "Zainab",
    "Kelechi",
    "Folake",
    "Musa",
    "Amaka",
    "Segun",
    "Halima",
    "Ifeanyi",
    "Bukola",
    "Uche",
    "Fatima",
    "Damilola",
    "Nnamdi",
    "Kemi",
    "Abdullahi",
    "Ebere",
    "Samuel",
    "Olamide",
];

pub const LAST_NAMES: &[&str] = &[
    "Okafor", "Adeyemi", "Bello", "Okonkwo", "Balogun", "Eze", "Ogunleye", "Abubakar", "Nwosu", "Adebanjo", "Olawale",
    "Chukwu", "Mohammed", "Ibe", "Afolabi", "Usman", "Onyeka", "Ajayi", "Danjuma", "Nomo",
];

pub const EMPLOYERS: &[&str] = &[
    "ACME NIGERIA LTD",
    "DANGOTE CEMENT PLC",
    "INTERSWITCH LTD",
    "MTN NIGERIA",
    "ANDELA NIG",
    "FLUTTERWAVE TECH",
    "NESTLE NIGERIA PLC",
    "LAGOS STATE GOVT",
    "SEPLAT ENERGY",
    "PAYSTACK PAYMENTS",
];

pub const MERCHANTS: &[&str] = &[
    "SHOPRITE LEKKI",
    "SPAR ADENIRAN OGUNSANYA",
    "CHICKEN REPUBLIC IKEJA",
    "JUMIA NG",
    "MEDPLUS PHARMACY",
    "TOTAL ENERGIES ALLEN",
    "ORIGINAL MR BIGGS",
    "JENDOL SUPERSTORE",
    "EBANO SUPERMARKET",
    "FILMHOUSE CINEMAS",
    "BOLT NIGERIA",
    "UBER TRIP",
    "NETFLIX.COM",
    "SPOTIFY NG",
    "DOMINOS PIZZA VI",
];

pub const BANKS: &[&str] = &["GTB", "ACCESS", "ZENITH", "FBN", "UBA", "KUDA", "OPAY", "MONIEPOINT", "FIDELITY", "WEMA"];

pub const NETWORKS: &[&str] = &["MTN", "AIRTEL", "GLO", "9MOBILE"];

pub const PHONE_PREFIXES: &[&str] =
    &["0803", "0806", "0813", "0816", "0703", "0706", "0802", "0808", "0805", "0809", "0901", "0812"];

pub const STREETS: &[&str] = &[
    "Admiralty Way, Lekki",
    "Allen Avenue, Ikeja",
    "Herbert Macaulay Way, Yaba",
    "Adetokunbo Ademola Crescent, Wuse II",
    "Aminu Kano Crescent, Wuse",
    "Ogui Road, Enugu",
    "Ring Road, Ibadan",
    "Aba Road, Port Harcourt",
];

pub const STATES: &[(&str, &str)] = &[
    ("Lagos State", "Ikeja"),
    ("Ogun State", "Abeokuta South"),
    ("Oyo State", "Ibadan North"),
    ("Enugu State", "Enugu East"),
    ("Anambra State", "Onitsha North"),
    ("Kano State", "Nassarawa"),
    ("Rivers State", "Obio/Akpor"),
    ("Kaduna State", "Kaduna North"),
];

pub const BILLERS: &[(&str, i64, i64)] = &[
    ("DSTV SUBSCRIPTION", 7_900, 37_000),
    ("GOTV SUBSCRIPTION", 3_300, 9_600),
    ("IKEDC PREPAID TOKEN", 5_000, 30_000),
    ("EKEDC PREPAID TOKEN", 5_000, 30_000),
    ("LAWMA WASTE BILL", 2_500, 6_000),
];
