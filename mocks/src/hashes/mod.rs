//! Password hashes: verifying and producing every algorithm the mocked services store or
//! import (to be built; see shared/reference/password-hashes.md).
