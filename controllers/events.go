/*
Copyright 2026 The Roster Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package controllers

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	typedeventsv1 "k8s.io/client-go/kubernetes/typed/events/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"

	"roster.dev/roster/internal/eventrecorder"
)

// broadcasters holds each manager's Event broadcaster: Setup and the approval page's Deliverer share it.
var broadcasters sync.Map // ctrl.Manager → *eventrecorder.Broadcaster

// recorderFor returns a recorder of mgr's Event broadcaster, which is created and added to mgr the first
// time. It is the manager's own recorder (client-go's, whose memory grows with the Events of the last
// minutes) only when the broadcaster cannot be built.
func recorderFor(mgr ctrl.Manager, name string) events.EventRecorder {
	if b, ok := broadcasters.Load(mgr); ok {
		return b.(*eventrecorder.Broadcaster).NewRecorder(name)
	}
	log := mgr.GetLogger().WithName("events")
	// Events are a built-in kind: protobuf costs the API server less than JSON to decode and store.
	cfg := rest.CopyConfig(mgr.GetConfig())
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	client, err := typedeventsv1.NewForConfigAndClient(cfg, mgr.GetHTTPClient())
	if err != nil {
		log.Error(err, "building the Events client; using the manager's recorder")
		return mgr.GetEventRecorder(name)
	}
	b, loaded := broadcasters.LoadOrStore(mgr, eventrecorder.New(client, mgr.GetScheme(), log, eventrecorder.Options{}))
	if !loaded {
		if err := mgr.Add(forget{b.(*eventrecorder.Broadcaster), mgr}); err != nil {
			log.Error(err, "starting the Event broadcaster; using the manager's recorder")
			broadcasters.Delete(mgr)
			return mgr.GetEventRecorder(name)
		}
	}
	return b.(*eventrecorder.Broadcaster).NewRecorder(name)
}

// forget runs a manager's broadcaster and forgets it when the manager stops (tests run several).
type forget struct {
	*eventrecorder.Broadcaster
	mgr ctrl.Manager
}

func (f forget) Start(ctx context.Context) error {
	defer broadcasters.Delete(f.mgr)
	return f.Broadcaster.Start(ctx)
}
