//! The conformance suite, once per transport: the same case names under
//! each transport's module.

#[cfg(unix)]
use yoton_testkit::IpcUnderTest;
use yoton_testkit::{InprocUnderTest, TcpUnderTest};

yoton_testkit::conformance_suite!(inproc, InprocUnderTest);
yoton_testkit::conformance_suite!(tcp, TcpUnderTest);
#[cfg(unix)]
yoton_testkit::conformance_suite!(ipc, IpcUnderTest);
