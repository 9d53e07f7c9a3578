// Package crdwatch gets informers by GroupVersionResource: from a dynamic
// informer factory, a metadata informer factory and a typed factory's generic
// ForResource (pkg/controller/garbagecollector/graph_builder.go,
// pkg/scheduler/eventhandlers.go:484-510).
package crdwatch

import (
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// cronJobGVR is a package-level GroupVersionResource.
var cronJobGVR = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "cronjobs"}

// Controller watches resources through generic informers.
type Controller struct {
	queue workqueue.RateLimitingInterface
}

// NewController registers the handlers.
func NewController(dynClient dynamic.Interface, metaClient metadata.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	c := &Controller{
		queue: workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "crdwatch"),
	}

	dynFactory := dynamicinformer.NewDynamicSharedInformerFactory(dynClient, 0)
	gvr := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	dynFactory.ForResource(gvr).Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.addDeployment,
		UpdateFunc: c.updateDeployment,
		DeleteFunc: c.deleteDeployment,
	})

	dynFactory.ForResource(cronJobGVR).Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addCronJob,
	})

	// Group left out: the core group.
	metaFactory := metadatainformer.NewSharedInformerFactory(metaClient, 0)
	metaFactory.ForResource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: c.deleteConfigMap,
	})

	// A typed factory's generic informer, the GVR built from the API package's SchemeGroupVersion.
	jobsGVR := batchv1.SchemeGroupVersion.WithResource("jobs")
	jobInformer, err := factory.ForResource(jobsGVR)
	if err != nil {
		return nil, err
	}
	jobInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: c.updateJob,
	})
	return c, nil
}

func (c *Controller) enqueue(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.queue.Add(key)
}

func (c *Controller) addDeployment(obj interface{}) {
	c.enqueue(obj)
}

func (c *Controller) updateDeployment(oldObj, newObj interface{}) {
	c.enqueue(newObj)
}

func (c *Controller) deleteDeployment(obj interface{}) {
	c.enqueue(obj)
}

func (c *Controller) addCronJob(obj interface{}) {
	c.enqueue(obj)
}

func (c *Controller) deleteConfigMap(obj interface{}) {
	c.enqueue(obj)
}

func (c *Controller) updateJob(oldObj, newObj interface{}) {
	c.enqueue(newObj)
}
