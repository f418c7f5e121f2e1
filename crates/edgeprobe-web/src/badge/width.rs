//! Text width in the badge font (Verdana, 11 px), the way shields.io measures it, so that our
//! badges have the same proportions as every other badge in a README.
//!
//! Pure table lookup; no font files, no rendering. Must not depend on the platform's fonts.

/// Advance widths (px) of printable ASCII (U+0020..=U+007E) in Verdana at 11 px. These are the
/// font's metrics, the same values shields.io measures with.
const VERDANA_11: [f64; 95] = [
    3.8671875,
    4.3291015625,
    5.048828125,
    9.001953125,
    6.9931640625,
    11.837890625,
    7.9921875,
    2.9541015625, // ' '..'\''
    4.9951171875,
    4.9951171875,
    6.9931640625,
    9.001953125,
    4.00146484375,
    4.9951171875,
    4.00146484375,
    4.9951171875, // '('..'/'
    6.9931640625,
    6.9931640625,
    6.9931640625,
    6.9931640625,
    6.9931640625,
    6.9931640625,
    6.9931640625,
    6.9931640625, // '0'..'7'
    6.9931640625,
    6.9931640625,
    4.9951171875,
    4.9951171875,
    9.001953125,
    9.001953125,
    9.001953125,
    5.99951171875, // '8'..'?'
    11.0,
    7.51953125,
    7.541015625,
    7.6806640625,
    8.4755859375,
    6.95556640625,
    6.32177734375,
    8.529296875, // '@'..'G'
    8.26611328125,
    4.6298828125,
    5.00048828125,
    7.62158203125,
    6.123046875,
    9.2705078125,
    8.228515625,
    8.658203125, // 'H'..'O'
    6.63330078125,
    8.658203125,
    7.6484375,
    7.51953125,
    6.7783203125,
    8.05126953125,
    7.51953125,
    10.87646484375, // 'P'..'W'
    7.53564453125,
    6.767578125,
    7.53564453125,
    4.9951171875,
    4.9951171875,
    4.9951171875,
    9.001953125,
    6.9931640625, // 'X'..'_'
    6.9931640625,
    6.6064453125,
    6.853515625,
    5.73095703125,
    6.853515625,
    6.552734375,
    3.8671875,
    6.853515625, // '`'..'g'
    6.9609375,
    3.0185546875,
    3.78662109375,
    6.509765625,
    3.0185546875,
    10.69921875,
    6.9609375,
    6.67626953125, // 'h'..'o'
    6.853515625,
    6.853515625,
    4.6943359375,
    5.73095703125,
    4.33447265625,
    6.9609375,
    6.509765625,
    9.001953125, // 'p'..'w'
    6.509765625,
    6.509765625,
    5.779296875,
    6.982421875,
    4.9951171875,
    6.982421875,
    9.001953125, // 'x'..'~'
];

/// Width of characters outside the table. Latin letters with accents are about as wide as
/// their base letters; anything else (CJK, emoji, symbols) is taken as one em so that the
/// badge is never too narrow for its text.
fn fallback_width(c: char) -> f64 {
    if ('\u{a0}'..='\u{24f}').contains(&c) {
        7.0
    } else {
        11.0
    }
}

/// Exact advance width of `text` in px.
pub fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            ' '..='~' => VERDANA_11[c as usize - 0x20],
            c if c.is_control() => 0.0,
            c => fallback_width(c),
        })
        .sum()
}

/// The width a badge reserves for `text`: truncated to whole pixels, then rounded up to an odd
/// number (as shields does, so the centred text lands on the pixel grid).
pub fn preferred_width(text: &str) -> u32 {
    let w = text_width(text).floor() as u32;
    if w.is_multiple_of(2) {
        w + 1
    } else {
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_match_shields_for_known_strings() {
        // Widths as they appear in shields.io's own "build | passing" badge (textLength / 10).
        let cases = [("build", 27), ("passing", 41), ("", 1)];
        for (text, width) in cases {
            assert_eq!(preferred_width(text), width, "{text:?}");
        }
    }

    #[test]
    fn other_characters_fall_back_to_a_generous_width() {
        assert_eq!(text_width("é"), 7.0);
        assert_eq!(text_width("監視"), 22.0);
        assert_eq!(text_width("a\u{7}b"), text_width("ab"));
    }
}
