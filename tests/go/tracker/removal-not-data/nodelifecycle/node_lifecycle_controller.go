// Package nodelifecycle mimics the retry mark of pkg/controller/nodelifecycle
// (node_lifecycle_controller.go:447-449, 749-763): the node delete handler only removes the node
// from nc.nodesToRetry (a sync.Map); the periodic monitorNodeHealth loads the mark and, when it is
// set, marks the node's pods NotReady. Removing the mark can only suppress that write: the
// dependence is control, not data.
package nodelifecycle

import (
	"context"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Controller is the node lifecycle controller.
type Controller struct {
	kubeClient   clientset.Interface
	nodeLister   corelisters.NodeLister
	podLister    corelisters.PodLister
	nodesToRetry sync.Map
}

// NewNodeLifecycleController registers the node delete handler.
func NewNodeLifecycleController(kubeClient clientset.Interface, nodeInformer coreinformers.NodeInformer, podInformer coreinformers.PodInformer) (*Controller, error) {
	nc := &Controller{
		kubeClient: kubeClient,
		nodeLister: nodeInformer.Lister(),
		podLister:  podInformer.Lister(),
	}
	nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(obj interface{}) {
			node, ok := obj.(*v1.Node)
			if !ok {
				return
			}
			nc.nodesToRetry.Delete(node.Name)
		},
	})
	return nc, nil
}

// Run starts the periodic health monitor.
func (nc *Controller) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, nc.monitorNodeHealth, 5*time.Second)
	<-ctx.Done()
}

func (nc *Controller) monitorNodeHealth(ctx context.Context) {
	nodes, err := nc.nodeLister.List(labels.Everything())
	if err != nil {
		return
	}
	updateNodeFunc := func(piece int) {
		node := nodes[piece]
		_, needsRetry := nc.nodesToRetry.Load(node.Name)
		if needsRetry {
			if err := nc.markPodsNotReady(ctx, node.Name); err != nil {
				nc.nodesToRetry.Store(node.Name, struct{}{})
				return
			}
		}
		nc.nodesToRetry.Delete(node.Name)
	}
	workqueue.ParallelizeUntil(ctx, 8, len(nodes), updateNodeFunc)
}

func (nc *Controller) markPodsNotReady(ctx context.Context, nodeName string) error {
	pods, err := nc.podLister.List(labels.Everything())
	if err != nil {
		return err
	}
	for _, pod := range pods {
		if pod.Spec.NodeName != nodeName {
			continue
		}
		pod = pod.DeepCopy()
		for i := range pod.Status.Conditions {
			if pod.Status.Conditions[i].Type == v1.PodReady {
				pod.Status.Conditions[i].Status = v1.ConditionFalse
			}
		}
		if _, err := nc.kubeClient.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	return nil
}
