// SPDX-License-Identifier: MIT
//! tokio twin of ringo's core benchmarks (bench/yield.c, cancel.c,
//! spawn_gather.c, sleepers.c, million.c) on the current-thread runtime,
//! the single-loop equivalent. Prints "<metric> <value>" lines as the
//! asyncio twins do; million also prints "peak_rss_kb".
//!
//! Usage: ringo-bench-tokio yield|cancel|spawn_gather|sleepers|million
use std::time::{Duration, Instant};

/// Best of five rounds after a warm-up, as bench_best_of does.
async fn best<F, Fut>(f: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Duration>,
{
    let mut b = f().await;
    for i in 0..5 {
        let d = f().await;
        if i == 0 || d < b {
            b = d;
        }
    }
    b
}

async fn bench_yield() {
    const TASKS: usize = 100;
    const YIELDS: usize = 1_000_000;
    let d = best(|| async {
        let t0 = Instant::now();
        let hs: Vec<_> = (0..TASKS)
            .map(|_| {
                tokio::spawn(async {
                    for _ in 0..YIELDS / TASKS {
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for h in hs {
            h.await.unwrap();
        }
        t0.elapsed()
    })
    .await;
    println!("yield_ns {:.1}", d.as_nanos() as f64 / YIELDS as f64);
}

async fn bench_cancel() {
    const N: usize = 100_000;
    let d = best(|| async {
        let hs: Vec<_> = (0..N)
            .map(|_| tokio::spawn(tokio::time::sleep(Duration::from_secs(10))))
            .collect();
        tokio::task::yield_now().await; // every task is asleep now
        let t0 = Instant::now();
        for h in &hs {
            h.abort();
        }
        for h in hs {
            assert!(h.await.unwrap_err().is_cancelled());
        }
        t0.elapsed()
    })
    .await;
    println!("cancel_ns {:.1}", d.as_nanos() as f64 / N as f64);
}

async fn bench_spawn_gather() {
    const N: usize = 100_000;
    let d = best(|| async {
        let t0 = Instant::now();
        let hs: Vec<_> = (0..N).map(|i| tokio::spawn(async move { i })).collect();
        for (i, h) in hs.into_iter().enumerate() {
            assert_eq!(h.await.unwrap(), i);
        }
        t0.elapsed()
    })
    .await;
    println!("spawn_gather_ns {:.1}", d.as_nanos() as f64 / N as f64);
}

async fn sleepers_round(n: usize, delay: Duration) -> Duration {
    let t0 = Instant::now();
    let hs: Vec<_> = (0..n).map(|_| tokio::spawn(tokio::time::sleep(delay))).collect();
    for h in hs {
        h.await.unwrap();
    }
    t0.elapsed()
}

async fn bench_sleepers() {
    let d = best(|| sleepers_round(100_000, Duration::from_millis(50))).await;
    println!("sleepers_ms {:.1}", d.as_nanos() as f64 / 1e6);
}

fn peak_rss_kb() -> i64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(-1)
}

async fn bench_million() {
    let d = sleepers_round(1_000_000, Duration::from_secs(1)).await;
    println!("million_s {:.3}\npeak_rss_kb {}", d.as_secs_f64(), peak_rss_kb());
}

// crossloop: two tasks on the multi-thread runtime with 2 workers, a
// ping-pong over two mpsc channels of capacity 1 (bench/crossloop.c's
// channel ping-pong); best of three runs of 50,000 round trips
fn bench_crossloop() {
    const ROUNDS: u64 = 50_000;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let d = rt.block_on(async {
            let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<u64>(1);
            let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<u64>(1);
            tokio::spawn(async move {
                while let Some(v) = ping_rx.recv().await {
                    if pong_tx.send(v).await.is_err() {
                        break;
                    }
                }
            });
            tokio::spawn(async move {
                let t0 = Instant::now();
                for i in 0..ROUNDS {
                    ping_tx.send(i).await.unwrap();
                    assert_eq!(pong_rx.recv().await, Some(i));
                }
                t0.elapsed()
            })
            .await
            .unwrap()
        });
        best = best.min(d);
    }
    println!("crossloop_us {:.3}", best.as_secs_f64() * 1e6 / ROUNDS as f64);
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    if which == "crossloop" {
        bench_crossloop();
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        match which.as_str() {
            "yield" => bench_yield().await,
            "cancel" => bench_cancel().await,
            "spawn_gather" => bench_spawn_gather().await,
            "sleepers" => bench_sleepers().await,
            "million" => bench_million().await,
            _ => {
                eprintln!("usage: ringo-bench-tokio yield|cancel|spawn_gather|sleepers|million");
                std::process::exit(2);
            }
        }
    });
}
