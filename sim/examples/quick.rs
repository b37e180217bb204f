fn main() {
    let path = std::env::args().nth(1).unwrap();
    let strategy = std::env::args().nth(2);
    let mut s = model::scenario::load(std::path::Path::new(&path)).unwrap();
    if let Some(st) = strategy {
        let mut f = s.file.clone();
        f.gateway.strategy = st.parse().unwrap();
        s = model::scenario::resolve(&s.source, f).unwrap();
    }
    let t0 = std::time::Instant::now();
    let (r, events) = sim::simulate_counted(&s, None);
    let el = t0.elapsed();
    print!("{}", model::results::summary_table(&r));
    println!(
        "{} events, {} attempts in {:?}: {:.2}M attempts/s",
        events,
        r.summary.whole.attempts,
        el,
        r.summary.whole.attempts as f64 / el.as_secs_f64() / 1e6
    );
}
