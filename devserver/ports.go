package devserver

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// Picked ports stay at most 32767, below Linux's ephemeral range (which
// listening on :0 would return): PostgreSQL-backed Temporal stores
// membership ports as smallint, and we keep one habit for both.
const (
	minPickedPort = 20000
	maxPickedPort = 32767
	pickAttempts  = 200
)

type servicePorts struct {
	frontend, frontendHTTP, history, matching, worker int
}

// pickPorts returns the frontend gRPC port (frontendPort, or a free one when
// 0), a free frontend HTTP port and free ports for the internal services. A port is free when a listener
// can bind it now; the server binds it a moment later, so another process
// could take it in between: Start then fails with "address already in use".
func pickPorts(host string, frontendPort int) (servicePorts, error) {
	taken := map[int]bool{}
	pick := func(host string) (int, error) {
		for range pickAttempts {
			port := minPickedPort + rand.IntN(maxPickedPort-minPickedPort+1)
			if taken[port] || !canListen(host, port) {
				continue
			}
			taken[port] = true
			return port, nil
		}
		return 0, fmt.Errorf("no free port in %d-%d on %s after %d attempts", minPickedPort, maxPickedPort, host, pickAttempts)
	}

	var p servicePorts
	var err error
	if frontendPort != 0 {
		p.frontend = frontendPort
		taken[frontendPort] = true
	} else if p.frontend, err = pick(host); err != nil {
		return p, fmt.Errorf("pick frontend port: %w", err)
	}
	if p.frontendHTTP, err = pick(host); err != nil {
		return p, fmt.Errorf("pick frontend HTTP port: %w", err)
	}
	var errs []error
	for _, port := range []*int{&p.history, &p.matching, &p.worker} {
		*port, err = pick(internalHost)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return p, fmt.Errorf("pick service ports: %w", err)
	}
	return p, nil
}

func canListen(host string, port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}
