package extract

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
)

// isCertificateError reports whether err is a failed verification of the
// server's TLS certificate. It is Fatal, not Retry: every login of the run
// would meet the same certificate, and retrying would only hide the cause.
func isCertificateError(err error) bool {
	var verification *tls.CertificateVerificationError
	var authority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verification) || errors.As(err, &authority) || errors.As(err, &hostname) || errors.As(err, &invalid)
}
