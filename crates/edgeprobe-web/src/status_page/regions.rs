//! Region codes (Durable Object location hints) with names people understand.

/// "weur" → "Western Europe"; an unknown code is shown as itself by the caller.
pub fn region_name(code: &str) -> &'static str {
    match code {
        "wnam" => "Western North America",
        "enam" => "Eastern North America",
        "sam" => "South America",
        "weur" => "Western Europe",
        "eeur" => "Eastern Europe",
        "apac" => "Asia-Pacific",
        "oc" => "Oceania",
        "afr" => "Africa",
        "me" => "Middle East",
        _ => "",
    }
}
