//! Avatars drawn here, never fetched: a member's initials on one of a few colours chosen by
//! the account's id, so a page shows who wrote what without asking any outside service.

use stoa_db::UserId;

/// How many avatar colours the stylesheet defines (`.avatar-0` … `.avatar-7`).
const COLOURS: i64 = 8;

/// The initials and colour class of one member's avatar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar {
    /// One or two letters: the first of the display name's first two words, upper-cased.
    pub initials: String,
    /// The stylesheet's class for the background colour.
    pub colour: usize,
}

impl Avatar {
    pub fn new(id: UserId, display_name: &str) -> Avatar {
        let initials: String = display_name
            .split(|c: char| c.is_whitespace() || c == '-' || c == '_' || c == '.')
            .filter_map(|word| word.chars().find(|c| c.is_alphanumeric()))
            .take(2)
            .flat_map(char::to_uppercase)
            .collect();
        Avatar {
            initials: if initials.is_empty() {
                "?".to_owned()
            } else {
                initials
            },
            colour: usize::try_from(id.0.rem_euclid(COLOURS)).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Avatar;
    use stoa_db::UserId;

    #[test]
    fn initials_come_from_the_first_two_words() {
        assert_eq!(Avatar::new(UserId(1), "Ada Lovelace").initials, "AL");
        assert_eq!(Avatar::new(UserId(1), "grace").initials, "G");
        assert_eq!(Avatar::new(UserId(1), "jean-luc picard").initials, "JL");
        assert_eq!(Avatar::new(UserId(1), "émile zola").initials, "ÉZ");
        assert_eq!(Avatar::new(UserId(1), "  (x) ").initials, "X");
        assert_eq!(Avatar::new(UserId(1), "!!!").initials, "?");
    }

    #[test]
    fn the_colour_follows_the_id() {
        assert_eq!(Avatar::new(UserId(3), "a").colour, 3);
        assert_eq!(Avatar::new(UserId(11), "a").colour, 3);
        assert_ne!(
            Avatar::new(UserId(3), "a").colour,
            Avatar::new(UserId(4), "a").colour
        );
    }
}
