//! Tests of [`super`] (bus.rs), kept beside it so the module reads as its code.

use super::*;

fn message(event: BusEvent) -> Delivery {
    match event {
        BusEvent::Message(d) => d,
        BusEvent::Gap { reason } => panic!("expected a message, got a gap: {reason}"),
    }
}

async fn next(sub: &mut Subscription) -> BusEvent {
    tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("nothing delivered within 10 s")
        .expect("the bus closed")
}

#[tokio::test]
async fn in_process_bus_delivers_to_every_subscriber() {
    let bus = InProcessBus::new();
    let mut a = bus.subscribe("t", "g1", "a").await.unwrap();
    let mut b = bus.subscribe("t", "g2", "b").await.unwrap();
    bus.publish("t", "hello").await.unwrap();
    assert_eq!(message(next(&mut a).await).payload, "hello");
    assert_eq!(message(next(&mut b).await).payload, "hello");
}

#[tokio::test]
async fn an_in_process_subscriber_that_falls_behind_is_told_of_the_gap() {
    let bus = InProcessBus::new();
    let mut slow = bus.subscribe("t", "g", "slow").await.unwrap();
    for i in 0..(IN_PROCESS_CAPACITY * 2 + 600) {
        bus.publish("t", &i.to_string()).await.unwrap();
    }
    let mut gaps = 0;
    let mut messages = 0;
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(300), slow.next()).await
    {
        match event {
            BusEvent::Gap { .. } => gaps += 1,
            BusEvent::Message(_) => messages += 1,
        }
    }
    assert!(gaps >= 1, "no gap after {messages} messages");
}

/// A Redis bus on `NDRS_TEST_REDIS_URL` under a fresh namespace; `None`, saying the test is
/// skipped, when it is not set. A set variable whose server is unreachable fails the test.
async fn redis_bus(claim_idle: Duration) -> Option<(RedisBus, redis::aio::MultiplexedConnection)> {
    let Some(url) = std::env::var("NDRS_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: NDRS_TEST_REDIS_URL is not set");
        return None;
    };
    let namespace = format!("ndrs-bus-test-{}", uuid::Uuid::new_v4().simple());
    let bus = RedisBus::connect(&url, &namespace, 10_000, claim_idle)
        .await
        .expect("NDRS_TEST_REDIS_URL is set but Redis is unreachable");
    let admin = bus.publisher.clone();
    Some((bus, admin))
}

/// A new consumer `consumer` of topic `t` in group `g`, past the gap every new Redis subscription
/// starts with (it cannot know what it missed before it existed).
async fn subscribed(bus: &RedisBus, consumer: &str) -> Subscription {
    let mut sub = bus.subscribe("t", "g", consumer).await.unwrap();
    assert!(matches!(next(&mut sub).await, BusEvent::Gap { .. }));
    sub
}

#[tokio::test]
async fn redis_delivers_a_burst_without_waiting_for_acknowledgements() {
    let Some((bus, _)) = redis_bus(Duration::from_secs(30)).await else {
        return;
    };
    let mut sub = subscribed(&bus, "c1").await;
    for i in 0..50 {
        bus.publish("t", &i.to_string()).await.unwrap();
    }
    // All fifty arrive while none is acknowledged: a debouncing consumer can batch them.
    let mut held = Vec::new();
    for _ in 0..50 {
        held.push(message(next(&mut sub).await));
    }
    let payloads: Vec<String> = held.iter().map(|d| d.payload.clone()).collect();
    assert_eq!(payloads, (0..50).map(|i| i.to_string()).collect::<Vec<_>>());
    held.into_iter().for_each(Delivery::ack);
}

#[tokio::test]
async fn redis_entries_of_a_vanished_consumer_are_claimed_by_another() {
    let Some((bus, _)) = redis_bus(Duration::from_millis(300)).await else {
        return;
    };
    let mut crashed = subscribed(&bus, "replica-a").await;
    bus.publish("t", "pending").await.unwrap();
    let taken = message(next(&mut crashed).await);
    // Replica A dies holding the entry, unacknowledged (kill -9 mid-debounce).
    drop(taken);
    drop(crashed);
    let mut survivor = bus.subscribe("t", "g", "replica-b").await.unwrap();
    let claimed = message(next(&mut survivor).await);
    assert_eq!(claimed.payload, "pending");
    claimed.ack();
}

#[tokio::test]
async fn redis_stream_deleted_is_recreated_and_reported_as_a_gap() {
    let Some((bus, mut admin)) = redis_bus(Duration::from_secs(30)).await else {
        return;
    };
    let mut sub = subscribed(&bus, "c1").await;
    bus.publish("t", "before").await.unwrap();
    message(next(&mut sub).await).ack();
    // Redis flushed (or restarted without persistence): the stream and the group are gone.
    let _: i64 = redis::cmd("DEL")
        .arg(bus.key("t"))
        .query_async(&mut admin)
        .await
        .unwrap();
    match next(&mut sub).await {
        BusEvent::Gap { reason } => assert!(reason.contains("deleted"), "{reason}"),
        BusEvent::Message(d) => panic!("expected a gap, got {}", d.payload),
    }
    bus.publish("t", "after").await.unwrap();
    assert_eq!(message(next(&mut sub).await).payload, "after");
}
