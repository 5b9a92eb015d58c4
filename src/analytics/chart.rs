//! The reports' charts: each is an ECharts option built on the server with `charming` (no
//! server-side rendering), sent to the page as JSON in a `<script type="application/json">` data
//! block, and drawn by `assets/charts.js` with the vendored ECharts. Every chart has a title,
//! named axes, a tooltip, the "save as image" tool, and a table with the same figures
//! (`views::analytics::chart`), which screen readers read instead of the canvas.

use charming::Chart;
use charming::component::{Axis, Feature, Grid, SaveAsImage, Title, Toolbox};
use charming::element::{AxisLabel, AxisType, NameLocation, TextStyle, Tooltip, Trigger};
use charming::series::Bar;

/// One chart: its figures and what the table alternative shows.
#[derive(Clone, Debug)]
pub struct Bars {
    /// The element's id (`chart-<id>`), unique on the page.
    pub id: &'static str,
    pub title: String,
    /// A second line under the title (the Income Summary's totals).
    pub subtitle: Option<String>,
    /// The categories (month labels, stages).
    pub labels: Vec<String>,
    /// The name of what is counted (the value axis and the table's column).
    pub unit: String,
    pub values: Vec<f64>,
    /// The value axis's top, so that several charts share one scale (§5.1, §5.8).
    pub max: Option<f64>,
    /// Horizontal bars (the funnel), categories top to bottom.
    pub horizontal: bool,
    /// Whole numbers (deals, requests): no axis tick between two integers.
    pub counts: bool,
}

impl Bars {
    /// The ECharts option.
    pub fn option(&self) -> Chart {
        let mut categories = Axis::new()
            .type_(AxisType::Category)
            .data(self.labels.clone())
            .axis_label(AxisLabel::new().interval(0).rotate(if self.horizontal { 0.0 } else { 30.0 }));
        if let Some(name) = self.category_name() {
            // Under the rotated month labels; above the first stage (the funnel's axis is inverted,
            // so its start is at the top).
            categories = if self.horizontal {
                categories.name(name).name_location(NameLocation::Start)
            } else {
                categories.name(name).name_location(NameLocation::Middle).name_gap(50)
            };
        }
        let mut values = Axis::new().type_(AxisType::Value).name(self.unit.clone()).name_location(NameLocation::End);
        if self.counts {
            values = values.min_interval(1.0);
        }
        if let Some(m) = self.max.filter(|m| *m > 0.0 && m.is_finite()) {
            // A round top (1, 2 or 5 × 10^n at or above the shared maximum): the axis's own ticks
            // then reach it, where the exact maximum printed a label over the tick below it.
            values = values.max(nice_ceiling(m));
        }
        let (x, y) = if self.horizontal { (values, categories.inverse(true)) } else { (categories, values) };
        // Left-aligned, so a long title does not run under the toolbox on the right.
        let mut title = Title::new()
            .text(self.title.clone())
            .left(8)
            .text_style(TextStyle::new().font_size(14).font_weight("bold"));
        if let Some(sub) = &self.subtitle {
            title = title.subtext(sub.clone());
        }
        let top = if self.subtitle.is_some() { 76 } else { 56 };
        // No animation: a live refresh redraws the figures in place instead of growing every bar
        // from zero again.
        Chart::new()
            .animation(false)
            .title(title)
            .tooltip(Tooltip::new().trigger(Trigger::Axis))
            .toolbox(
                Toolbox::new().feature(
                    Feature::new().save_as_image(SaveAsImage::new().name(self.id).background_color("#ffffff")),
                ),
            )
            .grid(Grid::new().left(if self.horizontal { "28%" } else { "8%" }).right("6%").top(top).bottom(72))
            .x_axis(x)
            .y_axis(y)
            .series(Bar::new().name(self.unit.clone()).data(self.values.clone()))
    }

    /// The name of the category axis: "Stage" for the funnel's bars, "Product" for the Sales
    /// Report's, "Month" when every label is a month (`scope::month_label`), else none (the labels
    /// say what they are).
    pub fn category_name(&self) -> Option<&'static str> {
        if self.id == "funnel" {
            Some("Stage")
        } else if self.horizontal && self.id.contains("product") {
            Some("Product")
        } else if !self.labels.is_empty()
            && self.labels.iter().all(|l| chrono::NaiveDate::parse_from_str(&format!("1 {l}"), "%d %b %Y").is_ok())
        {
            Some("Month")
        } else {
            None
        }
    }

    /// The option as JSON that is safe inside a `<script type="application/json">` element: `<`,
    /// `>` and `&` (which can only occur inside JSON strings) are written as `\u003c`, `\u003e`,
    /// `\u0026`, so no label a user typed (a stage or product name) can end the element (`</script>`)
    /// or open a comment; `JSON.parse` reads them back unchanged. U+2028/2029 are escaped too.
    pub fn json(&self) -> String {
        script_safe(&serde_json::to_string(&self.option()).unwrap_or_else(|_| "{}".into()))
    }
}

/// The smallest 1, 2 or 5 × 10^n at or above `m` (> 0).
pub fn nice_ceiling(m: f64) -> f64 {
    let p = 10f64.powf(m.log10().floor());
    let n = m / p;
    let step = if n <= 1.0 {
        1.0
    } else if n <= 2.0 {
        2.0
    } else if n <= 5.0 {
        5.0
    } else {
        10.0
    };
    step * p
}

/// Escapes what could end or confuse a script data block (see `Bars::json`).
pub fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for ch in json.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Hundredths → a chart value in whole units.
pub fn units(cents: i128) -> f64 {
    cents as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monthly() -> Bars {
        Bars {
            id: "income",
            title: "Income monthly".into(),
            subtitle: Some("total amount for the current period: 10.00 USD (+10.00)".into()),
            labels: vec!["Nov 2026".into(), "Dec 2026".into()],
            unit: "USD".into(),
            values: vec![0.0, 10.0],
            max: Some(12.0),
            horizontal: false,
            counts: false,
        }
    }

    #[test]
    fn every_chart_has_a_title_named_axes_a_tooltip_and_save_as_image() {
        let o: serde_json::Value = serde_json::from_str(&monthly().json()).unwrap();
        assert_eq!(o["title"][0]["text"], "Income monthly");
        assert_eq!(o["title"][0]["subtext"], "total amount for the current period: 10.00 USD (+10.00)");
        assert_eq!(o["xAxis"]["type"], "category");
        assert_eq!(o["xAxis"]["name"], "Month");
        assert_eq!(o["xAxis"]["nameLocation"], "middle");
        assert_eq!(o["xAxis"]["data"], serde_json::json!(["Nov 2026", "Dec 2026"]));
        assert_eq!(o["yAxis"]["type"], "value");
        assert_eq!(o["yAxis"]["name"], "USD");
        assert_eq!(o["yAxis"]["max"], 20.0, "12, rounded up to a round top");
        assert_eq!(o["tooltip"]["trigger"], "axis");
        let save = &o["toolbox"]["feature"]["saveAsImage"];
        assert_eq!(save["name"], "income", "the downloaded file's name");
        assert_eq!(save["backgroundColor"], "#ffffff", "not a transparent PNG");
        assert_eq!(o["series"][0]["data"], serde_json::json!([0.0, 10.0]));
        assert_eq!(o["animation"], false);

        // The funnel: stages down the inverted y axis, deals along x.
        let funnel = Bars {
            id: "funnel",
            title: "Deals still open at each stage".into(),
            subtitle: None,
            labels: vec!["request".into(), "offer".into()],
            unit: "deals".into(),
            values: vec![4.0, 2.0],
            max: None,
            horizontal: true,
            counts: true,
        };
        let o: serde_json::Value = serde_json::from_str(&funnel.json()).unwrap();
        assert_eq!((o["yAxis"]["name"].as_str(), o["yAxis"]["inverse"].as_bool()), (Some("Stage"), Some(true)));
        assert_eq!((o["xAxis"]["name"].as_str(), o["xAxis"]["minInterval"].as_f64()), (Some("deals"), Some(1.0)));
        assert_eq!(o["toolbox"]["feature"]["saveAsImage"]["name"], "funnel");
        assert_eq!(o["tooltip"]["trigger"], "axis");
        // Labels that are not months get no invented axis name.
        let other = Bars { labels: vec!["France".into()], ..monthly() };
        assert_eq!(other.category_name(), None);
        assert_eq!(
            [167_234.09, 100.0, 3.0, 0.7, 550.0].map(super::nice_ceiling),
            [200_000.0, 100.0, 5.0, 1.0, 1_000.0]
        );
        // The Sales Report's bars are products, not stages.
        let products = Bars { id: "sales-products", labels: vec!["Pump".into()], ..funnel };
        assert_eq!(products.category_name(), Some("Product"));
    }

    #[test]
    fn a_label_cannot_close_the_data_block_and_reads_back_unchanged() {
        let evil = "</script><script>alert(1)</script><!-- & \u{2028}";
        let b = Bars {
            id: "t",
            title: evil.into(),
            subtitle: None,
            labels: vec![evil.into()],
            unit: "deals".into(),
            values: vec![1.0],
            max: None,
            horizontal: false,
            counts: true,
        };
        let json = b.json();
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'), "{json}");
        assert!(!json.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["title"][0]["text"], evil);
        assert_eq!(back["xAxis"]["data"][0], evil);
        assert_eq!(back["toolbox"]["feature"]["saveAsImage"]["name"], "t");
        assert_eq!(back["series"][0]["type"], "bar");
    }
}
