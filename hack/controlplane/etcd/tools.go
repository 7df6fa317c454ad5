//go:build tools

// Package tools pins the etcd server this module builds for envtest and `make run`.
package tools

import _ "go.etcd.io/etcd/server/v3"
