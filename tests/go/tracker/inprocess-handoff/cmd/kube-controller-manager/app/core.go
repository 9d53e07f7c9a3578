// Package app wires the two controllers as the controller manager does
// (cmd/kube-controller-manager/app/core.go startNodeLifecycleController): the taint manager is
// built first, passed to the node lifecycle controller, and both are run.
package app

import (
	"context"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/record"

	"example.com/inprocess-handoff/pkg/controller/nodelifecycle"
	"example.com/inprocess-handoff/pkg/controller/tainteviction"
)

func startNodeLifecycleController(ctx context.Context, client clientset.Interface, factory informers.SharedInformerFactory) error {
	broadcaster := record.NewBroadcaster()
	recorder := broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "taint-eviction-controller"})
	tm := tainteviction.New(client, factory.Core().V1().Pods().Lister(), recorder)
	nc, err := nodelifecycle.NewNodeLifecycleController(factory.Core().V1().Pods(), tm)
	if err != nil {
		return err
	}
	go tm.Run(ctx)
	go nc.Run(ctx)
	return nil
}
