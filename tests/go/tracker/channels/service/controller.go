// Package service: handlers communicate with the workers over channel fields instead of a
// work queue. Service events go to c.events and are drained by `for ev := range c.events`;
// node names go to c.nodeUpdates and are received in a select case. Each channel reaches only
// its own sinks (cut-down shape of pkg/controller/service and the node sync loop).
package service

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
)

const (
	lbStatusAnnotation = "example.com/load-balancer-status"
	excludeLabelPatch  = `{"metadata":{"labels":{"node.kubernetes.io/exclude-from-external-load-balancers":"true"}}}`
)

type event struct {
	key       string
	eventType string
}

type Controller struct {
	kubeClient    clientset.Interface
	recorder      record.EventRecorder
	serviceLister corelisters.ServiceLister
	nodeLister    corelisters.NodeLister

	events      chan event
	nodeUpdates chan string
}

func New(serviceInformer coreinformers.ServiceInformer, nodeInformer coreinformers.NodeInformer, kubeClient clientset.Interface, recorder record.EventRecorder) *Controller {
	c := &Controller{
		kubeClient:  kubeClient,
		recorder:    recorder,
		events:      make(chan event, 100),
		nodeUpdates: make(chan string, 10),
	}
	serviceInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueueService,
		UpdateFunc: func(old, cur interface{}) {
			c.enqueueService(cur)
		},
	})
	nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addNode,
	})
	c.serviceLister = serviceInformer.Lister()
	c.nodeLister = nodeInformer.Lister()
	return c
}

func (c *Controller) enqueueService(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for object %#v: %v", obj, err))
		return
	}
	c.events <- event{key: key, eventType: "sync"}
}

func (c *Controller) addNode(obj interface{}) {
	node, ok := obj.(*v1.Node)
	if !ok {
		return
	}
	c.nodeUpdates <- node.Name
}

func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	go c.processEvents(ctx)
	go c.nodeSyncLoop(ctx)
	<-ctx.Done()
}

func (c *Controller) processEvents(ctx context.Context) {
	for ev := range c.events {
		if err := c.handle(ctx, ev); err != nil {
			utilruntime.HandleError(err)
		}
	}
}

func (c *Controller) handle(ctx context.Context, ev event) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(ev.key)
	if err != nil {
		return err
	}
	svc, err := c.serviceLister.Services(namespace).Get(name)
	if err != nil {
		return err
	}
	if svc.Spec.Type != v1.ServiceTypeLoadBalancer {
		return nil
	}
	updated := svc.DeepCopy()
	if updated.Annotations == nil {
		updated.Annotations = map[string]string{}
	}
	updated.Annotations[lbStatusAnnotation] = "pending"
	if _, err := c.kubeClient.CoreV1().Services(updated.Namespace).Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
		c.recorder.Eventf(svc, v1.EventTypeWarning, "UpdateFailed", "Error updating service: %v", err)
		return err
	}
	c.recorder.Event(svc, v1.EventTypeNormal, "EnsuringLoadBalancer", "Ensuring load balancer")
	return nil
}

func (c *Controller) nodeSyncLoop(ctx context.Context) {
	for {
		select {
		case nodeName := <-c.nodeUpdates:
			c.syncNode(ctx, nodeName)
		case <-ctx.Done():
			return
		}
	}
}

func (c *Controller) syncNode(ctx context.Context, nodeName string) {
	node, err := c.nodeLister.Get(nodeName)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	if _, ok := node.Labels["node-role.kubernetes.io/control-plane"]; !ok {
		return
	}
	if _, err := c.kubeClient.CoreV1().Nodes().Patch(ctx, node.Name, types.StrategicMergePatchType, []byte(excludeLabelPatch), metav1.PatchOptions{}); err != nil {
		utilruntime.HandleError(err)
	}
}
