//! The adapter conformance suite (`msrp-conformance`) on the futures-io
//! adapter, once under async-std and once under smol: the same scenarios
//! the tokio adapter passes, so a behaviour that differs is an adapter bug.

#![forbid(unsafe_code)]

mod async_std_runtime {
    /// async-std's executor drives the test and the connection tasks.
    struct AsyncStd;

    impl msrp_conformance::Harness for AsyncStd {
        type Rt = msrp_async_std::AsyncIo;

        fn runtime() -> Self::Rt {
            msrp_async_std::AsyncIo::async_std()
        }

        fn block_on<F: Future>(future: F) -> F::Output {
            async_std::task::block_on(future)
        }
    }

    msrp_conformance::conformance_suite!(AsyncStd);
}

mod smol_runtime {
    /// smol's global executor runs the connection tasks; the test blocks on
    /// its own future.
    struct Smol;

    impl msrp_conformance::Harness for Smol {
        type Rt = msrp_async_std::AsyncIo;

        fn runtime() -> Self::Rt {
            msrp_async_std::AsyncIo::smol()
        }

        fn block_on<F: Future>(future: F) -> F::Output {
            smol::block_on(future)
        }
    }

    msrp_conformance::conformance_suite!(Smol);
}
