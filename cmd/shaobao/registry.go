package main

import "github.com/prometheus/client_golang/prometheus"

// registry is the process's one Prometheus registry, made on first use:
// the API's HTTP metrics and the worker's projection failures are served
// together on /metrics when one process runs both.
func (a *App) registry() *prometheus.Registry {
	if a.reg == nil {
		a.reg = prometheus.NewRegistry()
		a.reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	}
	return a.reg
}
