//! The conformance suite, once per transport: the same case names under
//! each transport's module.

use yoton_testkit::{BusyPollTcpUnderTest, InprocUnderTest, SecuredTcpUnderTest, TcpUnderTest};
#[cfg(unix)]
use yoton_testkit::{IpcUnderTest, SecuredIpcUnderTest};

yoton_testkit::conformance_suite!(inproc, InprocUnderTest);
yoton_testkit::conformance_suite!(tcp, TcpUnderTest);
#[cfg(unix)]
yoton_testkit::conformance_suite!(ipc, IpcUnderTest);
yoton_testkit::conformance_suite!(tcp_secured, SecuredTcpUnderTest);
yoton_testkit::conformance_suite!(tcp_busy_poll, BusyPollTcpUnderTest);
#[cfg(unix)]
yoton_testkit::conformance_suite!(ipc_secured, SecuredIpcUnderTest);
