//! In-process figures on the 10,000-installation demo: the outstanding
//! report, one status, one sign-off and opening the store, without process
//! start. Whole-command figures beside their targets: `benches/run.sh`.
//!
//! Run with `cargo bench --bench inprocess`.

use std::hint::black_box;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use raci::app::Context;
use raci::app::tasks::{TaskStep, step};
use raci::domain::Party;
use raci::domain::rules::Verb;
use raci::output::{self, Format};
use raci::report;
use raci::store::{IfMissing, Store};

const INSTALLATIONS: usize = 10_000;

fn ctx(acting: Option<&str>) -> Context {
    Context {
        now: Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).single().expect("a time"),
        acting: acting.map(|a| a.parse().expect("handle")),
        os_user: None,
        ..Context::default()
    }
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let mut store = Store::open(&path, IfMissing::Create).expect("open");
    let started = std::time::Instant::now();
    raci::app::demo::demo(&mut store, &ctx(None), INSTALLATIONS, &mut |_, _| {}).expect("demo");
    eprintln!("demo --installations {INSTALLATIONS}: {:.1} s", started.elapsed().as_secs_f64());

    let mut group = c.benchmark_group("10k");
    group.sample_size(20).measurement_time(Duration::from_secs(10));
    group.bench_function("report outstanding --party subscriber (json to a sink)", |b| {
        b.iter(|| {
            let filter = report::Filter { party: Some(Party::Subscriber), ..Default::default() };
            let mut sink = std::io::sink();
            let mut w = output::RowWriter::new(Format::Json, &[], &mut sink).expect("writer");
            let mut rows = 0;
            report::outstanding(&mut store, &ctx(None), &filter, |row| {
                rows += 1;
                w.row(&row)
            })
            .expect("report");
            w.finish().expect("render");
            black_box(rows)
        })
    });
    group.bench_function("status one installation", |b| {
        b.iter(|| {
            black_box(
                raci::app::reads::status(&mut store, &ctx(None), "acme-00009").expect("status"),
            )
        })
    });
    group.bench_function("open the store", |b| {
        b.iter(|| black_box(Store::open(&path, IfMissing::Create).expect("open")))
    });
    // acme-00017 is at stage 6: integration signed off by its developer.
    let integration = |verb: Verb, reason: Option<&str>| TaskStep {
        installation: "acme-00017".parse().expect("id"),
        task: "integration".into(),
        verb,
        text: reason.map(|r| r.parse().expect("text")),
        due: None,
    };
    let dev = ctx(Some("acme.dev"));
    // Setup writes through a second connection, as another raci would.
    let mut setup = Store::open(&path, IfMissing::Create).expect("open");
    group.bench_function("signoff (one IMMEDIATE transaction with its event)", |b| {
        b.iter_batched(
            || {
                step(&mut setup, &dev, &integration(Verb::Reopen, Some("bench"))).expect("reopen");
                step(&mut setup, &dev, &integration(Verb::Submit, None)).expect("submit");
            },
            |()| step(&mut store, &dev, &integration(Verb::Signoff, None)).expect("signoff"),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(inprocess, benches);
criterion_main!(inprocess);
