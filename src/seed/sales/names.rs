//! Word lists for the sales seed: people, companies, places, products and what deals say. Some
//! names have letters outside ASCII, so the `*_key` columns are exercised beyond `lower()`.

/// A country the seeded counterparties are in, by its name in the `countries` table.
pub struct Market {
    pub country: &'static str,
    /// Web domain ending of its companies.
    pub tld: &'static str,
    /// Telephone country code.
    pub dial: &'static str,
    /// Legal-form endings of its company names.
    pub suffixes: &'static [&'static str],
    pub cities: &'static [&'static str],
}

pub const MARKETS: &[Market] = &[
    Market {
        country: "United States",
        tld: "com",
        dial: "+1",
        suffixes: &["Inc.", "LLC", "Corp."],
        cities: &["New York", "Chicago", "Houston", "Los Angeles", "Seattle", "Denver", "Atlanta", "Boston", "Dallas"],
    },
    Market {
        country: "Canada",
        tld: "ca",
        dial: "+1",
        suffixes: &["Inc.", "Ltd."],
        cities: &["Toronto", "Montréal", "Calgary"],
    },
    Market {
        country: "Mexico",
        tld: "com.mx",
        dial: "+52",
        suffixes: &["S.A. de C.V."],
        cities: &["Ciudad de México", "Monterrey", "Guadalajara"],
    },
    Market {
        country: "Germany",
        tld: "de",
        dial: "+49",
        suffixes: &["GmbH", "AG", "GmbH & Co. KG"],
        cities: &["Berlin", "Hamburg", "München", "Köln", "Stuttgart", "Düsseldorf"],
    },
    Market {
        country: "France",
        tld: "fr",
        dial: "+33",
        suffixes: &["SA", "SARL", "SAS"],
        cities: &["Paris", "Lyon", "Toulouse"],
    },
    Market {
        country: "United Kingdom",
        tld: "co.uk",
        dial: "+44",
        suffixes: &["Ltd", "PLC"],
        cities: &["London", "Manchester", "Birmingham", "Glasgow"],
    },
    Market {
        country: "Italy",
        tld: "it",
        dial: "+39",
        suffixes: &["S.p.A.", "S.r.l."],
        cities: &["Milano", "Torino", "Bologna"],
    },
    Market {
        country: "Spain",
        tld: "es",
        dial: "+34",
        suffixes: &["S.A.", "S.L."],
        cities: &["Madrid", "Barcelona", "Bilbao"],
    },
    Market {
        country: "Netherlands",
        tld: "nl",
        dial: "+31",
        suffixes: &["B.V.", "N.V."],
        cities: &["Amsterdam", "Rotterdam"],
    },
    Market {
        country: "Poland",
        tld: "pl",
        dial: "+48",
        suffixes: &["Sp. z o.o.", "S.A."],
        cities: &["Warszawa", "Kraków", "Gdańsk", "Łódź"],
    },
    Market {
        country: "Sweden",
        tld: "se",
        dial: "+46",
        suffixes: &["AB"],
        cities: &["Stockholm", "Göteborg", "Malmö"],
    },
    Market {
        country: "Norway",
        tld: "no",
        dial: "+47",
        suffixes: &["AS", "ASA"],
        cities: &["Oslo", "Bergen", "Stavanger"],
    },
    Market {
        country: "Czechia",
        tld: "cz",
        dial: "+420",
        suffixes: &["s.r.o.", "a.s."],
        cities: &["Praha", "Brno", "Ostrava"],
    },
    Market { country: "Austria", tld: "at", dial: "+43", suffixes: &["GmbH", "AG"], cities: &["Wien", "Graz", "Linz"] },
    Market {
        country: "Switzerland",
        tld: "ch",
        dial: "+41",
        suffixes: &["AG", "SA", "GmbH"],
        cities: &["Zürich", "Basel", "Genève"],
    },
    Market {
        country: "Turkiye",
        tld: "com.tr",
        dial: "+90",
        suffixes: &["A.Ş.", "Ltd. Şti."],
        cities: &["İstanbul", "Ankara", "İzmir"],
    },
    Market {
        country: "United Arab Emirates",
        tld: "ae",
        dial: "+971",
        suffixes: &["LLC", "FZE"],
        cities: &["Dubai", "Abu Dhabi"],
    },
    Market {
        country: "India",
        tld: "in",
        dial: "+91",
        suffixes: &["Pvt. Ltd.", "Ltd."],
        cities: &["Mumbai", "Delhi", "Bengaluru", "Chennai"],
    },
    Market {
        country: "China",
        tld: "cn",
        dial: "+86",
        suffixes: &["Co., Ltd."],
        cities: &["Shanghai", "Beijing", "Shenzhen"],
    },
    Market {
        country: "Japan",
        tld: "co.jp",
        dial: "+81",
        suffixes: &["K.K.", "Co., Ltd."],
        cities: &["Tokyo", "Osaka", "Nagoya"],
    },
    Market { country: "South Korea", tld: "co.kr", dial: "+82", suffixes: &["Co., Ltd."], cities: &["Seoul", "Busan"] },
    Market {
        country: "Brazil",
        tld: "com.br",
        dial: "+55",
        suffixes: &["Ltda.", "S.A."],
        cities: &["São Paulo", "Rio de Janeiro"],
    },
    Market {
        country: "Australia",
        tld: "com.au",
        dial: "+61",
        suffixes: &["Pty Ltd"],
        cities: &["Sydney", "Melbourne", "Perth"],
    },
    Market {
        country: "South Africa",
        tld: "co.za",
        dial: "+27",
        suffixes: &["(Pty) Ltd"],
        cities: &["Johannesburg", "Cape Town"],
    },
    Market { country: "Finland", tld: "fi", dial: "+358", suffixes: &["Oy", "Oyj"], cities: &["Helsinki", "Tampere"] },
    Market { country: "Denmark", tld: "dk", dial: "+45", suffixes: &["A/S", "ApS"], cities: &["København", "Aarhus"] },
];

/// Where each sales department's counterparties are: (market country, weight), in
/// `SALES_DEPARTMENTS` order. Local sales works at home (the United States, §16.3).
pub const DEPARTMENT_MARKETS: [&[(&str, u32)]; 3] = [
    &[
        ("United States", 10),
        ("Germany", 8),
        ("France", 6),
        ("United Kingdom", 6),
        ("Italy", 5),
        ("Spain", 4),
        ("Netherlands", 3),
        ("Poland", 3),
        ("Sweden", 2),
        ("Norway", 2),
        ("Switzerland", 2),
        ("Austria", 2),
        ("Canada", 3),
        ("Brazil", 2),
        ("Japan", 3),
        ("China", 3),
        ("India", 3),
        ("Australia", 2),
        ("South Africa", 1),
        ("United Arab Emirates", 2),
        ("Finland", 1),
        ("Denmark", 1),
    ],
    &[("United States", 92), ("Canada", 5), ("Mexico", 3)],
    &[
        ("Germany", 6),
        ("Poland", 5),
        ("Czechia", 5),
        ("Turkiye", 5),
        ("United Arab Emirates", 4),
        ("India", 5),
        ("China", 4),
        ("South Korea", 3),
        ("Japan", 3),
        ("Brazil", 3),
        ("Mexico", 3),
        ("South Africa", 2),
        ("Italy", 2),
        ("Spain", 2),
    ],
];

pub const FIRST_MALE: &[&str] = &[
    "James",
    "John",
    "Robert",
    "Michael",
    "David",
    "William",
    "Thomas",
    "Daniel",
    "Matthew",
    "Andrew",
    "Lukas",
    "Jonas",
    "Felix",
    "Maximilian",
    "Pierre",
    "Louis",
    "Hugo",
    "Lars",
    "Søren",
    "Mikkel",
    "Marco",
    "Luca",
    "Giovanni",
    "Pablo",
    "Javier",
    "Diego",
    "Jan",
    "Piotr",
    "Łukasz",
    "Tomáš",
    "Ivan",
    "Mehmet",
    "Emre",
    "Hiroshi",
    "Kenji",
    "Wei",
    "Rahul",
    "Arjun",
    "Oliver",
    "Noah",
    "Ethan",
    "Liam",
    "Mateo",
    "Erik",
    "Björn",
    "Jürgen",
    "André",
    "François",
];

pub const FIRST_FEMALE: &[&str] = &[
    "Mary",
    "Jennifer",
    "Linda",
    "Sarah",
    "Emily",
    "Emma",
    "Olivia",
    "Sophia",
    "Charlotte",
    "Anna",
    "Hannah",
    "Lea",
    "Marie",
    "Chloé",
    "Camille",
    "Inès",
    "Ingrid",
    "Freja",
    "Giulia",
    "Chiara",
    "Lucía",
    "Carmen",
    "Sofía",
    "Katarzyna",
    "Zofia",
    "Eva",
    "Tereza",
    "Olga",
    "Elif",
    "Zeynep",
    "Yuki",
    "Sakura",
    "Mei",
    "Priya",
    "Ananya",
    "Isabella",
    "Mia",
    "Amelia",
    "Grace",
    "Nora",
    "Astrid",
    "Małgorzata",
];

pub const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Moore",
    "Martin",
    "Jackson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schäfer",
    "Koch",
    "Dubois",
    "Moreau",
    "Lefèvre",
    "Laurent",
    "Girard",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "García",
    "Fernández",
    "López",
    "Martínez",
    "Sánchez",
    "Kowalski",
    "Nowak",
    "Wiśniewski",
    "Novák",
    "Dvořák",
    "Jensen",
    "Nielsen",
    "Hansen",
    "Andersson",
    "Johansson",
    "Virtanen",
    "Yılmaz",
    "Kaya",
    "Demir",
    "Tanaka",
    "Suzuki",
    "Watanabe",
    "Chen",
    "Wang",
    "Li",
    "Zhang",
    "Sharma",
    "Patel",
    "Singh",
    "Kumar",
    "Silva",
    "Santos",
    "Oliveira",
    "Costa",
    "van der Berg",
    "de Jong",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Ivanov",
];

pub const TITLES: &[&str] = &[
    "Purchasing manager",
    "Chief engineer",
    "Managing director",
    "Procurement specialist",
    "Head of maintenance",
    "Project manager",
    "Technical director",
    "Buyer",
    "Plant manager",
    "CEO",
    "Operations manager",
    "Sales engineer",
];

/// First words of invented company names (the others start with a surname).
pub const COMPANY_PREFIXES: &[&str] = &[
    "Nord",
    "Atlas",
    "Baltic",
    "Summit",
    "Pioneer",
    "Apex",
    "Vertex",
    "Keystone",
    "Harbor",
    "Granite",
    "Silverline",
    "Bluewater",
    "Redwood",
    "Sunrise",
    "Polar",
    "Meridian",
    "Horizon",
    "Crescent",
    "Evergreen",
    "Ironbridge",
    "Oakridge",
    "Northstar",
    "Westfield",
    "Eastgate",
    "Rhein",
    "Alpen",
    "Donau",
    "Nordic",
    "Pacific",
    "Atlantic",
    "Delta",
    "Sigma",
    "Omega",
    "Orion",
    "Titan",
    "Falcon",
    "Phoenix",
    "Condor",
    "Lynx",
    "Vega",
];

pub const COMPANY_CORES: &[&str] = &[
    "Pumps",
    "Valves",
    "Engineering",
    "Logistics",
    "Steel",
    "Energy",
    "Machinery",
    "Hydraulics",
    "Automation",
    "Rail Systems",
    "Aero Parts",
    "Petroleum",
    "Power",
    "Metals",
    "Shipyards",
    "Motors",
    "Construction",
    "Services",
    "Instruments",
    "Drives",
    "Technologies",
    "Industrial Supply",
    "Trading",
    "Components",
    "Fluid Systems",
    "Controls",
    "Equipment",
    "Foundry",
    "Turbines",
    "Cables",
];

/// Words between a company's trade and its legal form ("Atlas Pumps International Ltd").
pub const COMPANY_QUALIFIERS: &[&str] =
    &["International", "Holding", "Group", "Industries", "Systems", "Works", "Partners", "Solutions"];

pub const STREETS: &[&str] = &[
    "Main Street",
    "Industrial Park",
    "Harbour Road",
    "Station Road",
    "Market Square",
    "Ring Road",
    "Lake View",
    "Factory Lane",
    "Airport Boulevard",
    "Mill Street",
];

/// Product categories with their products (name, price in whole units); "Services" are services.
pub const CATALOGUE: &[(&str, &[(&str, i64)])] = &[
    (
        "Pumps",
        &[
            ("Centrifugal pump", 4_800),
            ("Submersible pump", 3_900),
            ("Dosing pump", 1_450),
            ("Gear pump", 2_300),
            ("Diaphragm pump", 1_900),
            ("Vacuum pump", 6_700),
        ],
    ),
    (
        "Valves",
        &[
            ("Ball valve", 320),
            ("Gate valve", 540),
            ("Butterfly valve", 410),
            ("Check valve", 260),
            ("Control valve", 2_750),
            ("Safety valve", 890),
        ],
    ),
    (
        "Sensors",
        &[
            ("Pressure sensor", 380),
            ("Flow meter", 2_100),
            ("Temperature transmitter", 450),
            ("Level sensor", 620),
            ("Vibration monitor", 1_700),
            ("Gas detector", 980),
        ],
    ),
    (
        "Drives",
        &[
            ("Frequency inverter", 1_350),
            ("Gear motor", 1_150),
            ("Servo drive", 2_400),
            ("Soft starter", 700),
            ("Electric actuator", 1_250),
            ("Induction motor", 3_300),
        ],
    ),
    (
        "Spare parts",
        &[
            ("Seal kit", 85),
            ("Bearing set", 140),
            ("Impeller", 460),
            ("Filter cartridge", 60),
            ("Coupling", 190),
            ("Gasket set", 45),
        ],
    ),
    (
        "Services",
        &[
            ("Installation", 2_500),
            ("Commissioning", 3_200),
            ("Annual maintenance", 4_800),
            ("Operator training", 1_600),
            ("Remote monitoring", 900),
            ("Repair service", 1_200),
        ],
    ),
];

pub const TAGS: &[&str] = &[
    "VIP",
    "Key account",
    "Partner",
    "Newsletter",
    "Tender",
    "Trade fair",
    "Cold",
    "Warm",
    "Hot",
    "Follow-up",
    "Government",
    "Long cycle",
];

/// Deal names: `{p}` is a product, `{c}` the company's short name.
pub const DEAL_NAMES: &[&str] = &[
    "Supply of {p}",
    "{p} for {c}",
    "Service contract: {p}",
    "Replacement of {p}",
    "Tender: {p}",
    "Spare parts for {c}",
    "Upgrade to {p}",
    "{c}: new line with {p}",
];

pub const NEXT_STEPS: &[&str] = &[
    "Call the buyer",
    "Send the commercial proposal",
    "Clarify the technical specification",
    "Agree on the delivery terms",
    "Wait for the signed contract",
    "Send the invoice",
    "Check the prepayment",
    "Arrange the site visit",
    "Prepare the price offer",
    "Follow up on the tender",
    "Confirm the shipping date",
    "Meet at the trade fair",
];

pub const PUBLIC_MAIL: &[&str] = &["gmail.com", "outlook.com", "yahoo.com", "proton.me", "gmx.de"];

/// `name` in lower-case ASCII letters and digits, for email addresses and web domains
/// ("Müller" → "muller", "O'Brien" → "obrien").
pub fn ascii(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'ä' | 'à' | 'á' | 'â' | 'ã' | 'å' | 'ą' => out.push('a'),
            'ç' | 'ć' | 'č' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' | 'ı' => out.push('i'),
            'ł' => out.push('l'),
            'ñ' | 'ń' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => out.push('o'),
            'ř' => out.push('r'),
            'ś' | 'š' | 'ş' => out.push('s'),
            'ß' => out.push_str("ss"),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' => out.push('y'),
            'ź' | 'ż' | 'ž' => out.push('z'),
            'ğ' => out.push('g'),
            _ => {}
        }
    }
    out
}

/// A URL-safe random token of 11 characters, the shape of the original's tickets and tokens
/// (`secrets.token_urlsafe(8)`, inventory §1.5): the 64 bits of `bits` in base64url.
pub fn token(bits: u64) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let wide = u128::from(bits) << 2;
    (0..11).map(|k| char::from(ALPHABET[((wide >> (60 - 6 * k)) & 63) as usize])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_names_and_tokens_have_their_shapes() {
        assert_eq!(ascii("Müller"), "muller");
        assert_eq!(ascii("O'Brien"), "obrien");
        assert_eq!(ascii("van der Berg"), "vanderberg");
        assert_eq!(ascii("Łukasz"), "lukasz");
        assert_eq!(token(0), "AAAAAAAAAAA");
        assert_eq!(token(u64::MAX), "__________8");
        assert_ne!(token(1), token(2));
    }

    #[test]
    fn every_department_market_is_a_market() {
        for markets in DEPARTMENT_MARKETS {
            for (country, _) in markets {
                assert!(MARKETS.iter().any(|m| m.country == *country), "{country}");
            }
        }
    }
}
