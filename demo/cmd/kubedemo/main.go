// Command kubedemo runs the three demo components against a cluster. It only
// wires them together; it registers no handler and writes nothing itself.
package main

import (
	"context"
	"os"
	"os/signal"

	"k8s.io/client-go/informers"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/events"
	"k8s.io/klog/v2"

	"example.com/kubedemo/pkg/controller/deployment"
	"example.com/kubedemo/pkg/controller/replicaset"
	"example.com/kubedemo/pkg/scheduler"
)

func main() {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	logger := klog.FromContext(ctx)

	config, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	if err != nil {
		klog.Fatal(err)
	}
	client := clientset.NewForConfigOrDie(config)
	informerFactory := informers.NewSharedInformerFactory(client, 0)

	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: client.EventsV1()})
	sched, err := scheduler.New(ctx, client, informerFactory, broadcaster)
	if err != nil {
		klog.Fatal(err)
	}
	rsc := replicaset.NewReplicaSetController(logger,
		informerFactory.Apps().V1().ReplicaSets(),
		informerFactory.Core().V1().Pods(),
		client,
	)
	dc, err := deployment.NewDeploymentController(ctx,
		informerFactory.Apps().V1().Deployments(),
		informerFactory.Apps().V1().ReplicaSets(),
		informerFactory.Core().V1().Pods(),
		client,
	)
	if err != nil {
		klog.Fatal(err)
	}

	informerFactory.Start(ctx.Done())
	broadcaster.StartRecordingToSink(ctx.Done())
	go rsc.Run(ctx, 2)
	go dc.Run(ctx, 2)
	sched.Run(ctx)
}
