// Package configwatch registers cache.ResourceEventHandlerDetailedFuncs, whose
// AddFunc also receives isInInitialList (client-go tools/cache/controller.go:270).
package configwatch

import (
	"sync/atomic"

	v1 "k8s.io/api/core/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Controller watches config maps, secrets and service accounts.
type Controller struct {
	initialItems atomic.Int64
	queue        workqueue.RateLimitingInterface
}

// NewController registers the handlers.
func NewController(cmInformer coreinformers.ConfigMapInformer, secretInformer coreinformers.SecretInformer, saInformer coreinformers.ServiceAccountInformer) *Controller {
	c := &Controller{
		queue: workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "configwatch"),
	}

	cmInformer.Informer().AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
		// func1 does the work itself: it is the handler.
		AddFunc: func(obj interface{}, isInInitialList bool) {
			if isInInitialList {
				c.initialItems.Add(1)
			}
			c.enqueue(obj)
		},
		UpdateFunc: c.updateConfigMap,
		// func2 only forwards.
		DeleteFunc: func(obj interface{}) {
			c.deleteConfigMap(obj)
		},
	})

	// A method value with the detailed AddFunc signature.
	secretInformer.Informer().AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
		AddFunc:    c.addSecret,
		DeleteFunc: c.deleteSecret,
	})

	// func3 only forwards, passing isInInitialList on.
	saInformer.Informer().AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj interface{}, isInInitialList bool) {
			c.addServiceAccount(obj, isInInitialList)
		},
	})
	return c
}

func (c *Controller) enqueue(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.queue.Add(key)
}

func (c *Controller) updateConfigMap(oldObj, newObj interface{}) {
	c.enqueue(newObj)
}

func (c *Controller) deleteConfigMap(obj interface{}) {
	c.enqueue(obj)
}

func (c *Controller) addSecret(obj interface{}, isInInitialList bool) {
	secret := obj.(*v1.Secret)
	if secret.Type != v1.SecretTypeServiceAccountToken {
		return
	}
	c.enqueue(secret)
}

func (c *Controller) deleteSecret(obj interface{}) {
	c.enqueue(obj)
}

func (c *Controller) addServiceAccount(obj interface{}, isInInitialList bool) {
	if isInInitialList {
		c.initialItems.Add(1)
	}
	c.enqueue(obj)
}
