//! Unit tests of the helpers the channel formats share.

use super::truncate;

#[test]
fn truncates_at_character_boundaries() {
    let cases = [
        ("abc", 3, "abc"),
        ("abcd", 3, "ab…"),
        ("héllo wörld", 5, "héll…"),
        ("🔴🔴🔴", 2, "🔴…"),
        ("abc", 0, ""),
    ];
    for (input, max, want) in cases {
        assert_eq!(truncate(input, max), want, "{input} {max}");
        assert!(truncate(input, max).chars().count() <= max);
    }
}
