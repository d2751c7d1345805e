package probe

import (
	"errors"
	"net"
)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isDNSError(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de)
}
