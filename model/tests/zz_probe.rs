#[test]
fn probe() {
    let s = model::scenario::load(std::path::Path::new("../scenarios/death-spiral.toml")).unwrap();
    println!("{}", model::scenario::check_summary(&s));
    let t = s.time_scaled(10.0).unwrap();
    println!("{}", model::scenario::check_summary(&t));
    let text = "[workload]\nmix = [{ service = \"legacy\" }]\n[[workload.phases]]\nduration = \"10s\"\nrate = 10\n[[backend.services]]\nname = \"legacy\"\ncount = 2\nworkers = 1\nservice_time = \"10ms\"\n[[backend.services]]\nname = \"legacy-archive\"\nworkers = 1\nservice_time = \"10ms\"\n";
    let s = model::scenario::parse("t.toml", text).unwrap();
    println!("{:?}", s.mix);
    for t in ["[gatway]\nx = 1\n[[workload.phases]]\nduration = \"10s\"\nrate = 10\n", "[[workload.phases]]\nduration = \"10s\"\nrate = 10\n[[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"10ms\"\noverload = { mode = \"queue\", backlg = 5 }\n",
      "[[workload.phases]]\nduration = \"10s\"\nrate = 10\n[[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = { dist = \"exponential\", mean = \"10ms\", mena = 3 }\n",
      "[[workload.phases]]\nduration = \"10s\"\nrate = 10\n[[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = { dist = \"exponential\", mean = 10 }\n",
      "[[workload.phases]]\nduration = \"10s\"\nrate = 10\n[[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"10ms\"\n[gateway]\nstrategy = \"fast\"\n",
      "[[workload.phases]]\nduration = \"10s\"\nrate = 10\nname = \"x\n"] {
        match model::scenario::parse("t.toml", t) { Ok(_) => println!("OK"), Err(e) => println!("{e}") }
    }
}
