//! The adapter conformance suite (`msrp-conformance`) on tokio: once on a
//! multi-thread runtime with two workers, once on a current-thread runtime
//! (where every task shares the test's thread, so a missed wake-up hangs
//! instead of being covered by another worker).

#![forbid(unsafe_code)]

mod multi_thread {
    /// A fresh two-worker tokio runtime per scenario.
    struct MultiThread;

    impl msrp_conformance::Harness for MultiThread {
        type Rt = msrp_tokio::Tokio;

        fn runtime() -> Self::Rt {
            msrp_tokio::Tokio
        }

        fn block_on<F: Future>(future: F) -> F::Output {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime")
                .block_on(future)
        }
    }

    msrp_conformance::conformance_suite!(MultiThread);
}

mod current_thread {
    /// A fresh current-thread tokio runtime per scenario.
    struct CurrentThread;

    impl msrp_conformance::Harness for CurrentThread {
        type Rt = msrp_tokio::Tokio;

        fn runtime() -> Self::Rt {
            msrp_tokio::Tokio
        }

        fn block_on<F: Future>(future: F) -> F::Output {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime")
                .block_on(future)
        }
    }

    msrp_conformance::conformance_suite!(CurrentThread);
}
