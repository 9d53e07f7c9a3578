// Package watcher builds standalone informers with cache.NewInformer and
// cache.NewIndexerInformer, which take the handler as an argument
// (client-go examples/workqueue/main.go:177, client-go tools/cache/controller.go:363-408).
package watcher

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Controller owns three standalone informers.
type Controller struct {
	podStore         cache.Store
	podController    cache.Controller
	secretIndexer    cache.Indexer
	secretController cache.Controller
	deployStore      cache.Store
	deployController cache.Controller
	queue            workqueue.RateLimitingInterface
}

// NewController builds the informers and their handlers.
func NewController(ctx context.Context, c kubernetes.Interface, ns string, resync time.Duration) *Controller {
	ctrl := &Controller{
		queue: workqueue.NewRateLimitingQueue(workqueue.DefaultControllerRateLimiter()),
	}

	podListWatcher := cache.NewListWatchFromClient(c.CoreV1().RESTClient(), "pods", ns, fields.Everything())
	ctrl.podStore, ctrl.podController = cache.NewInformer(podListWatcher, &v1.Pod{}, resync, cache.ResourceEventHandlerFuncs{
		AddFunc:    ctrl.addPod,
		UpdateFunc: ctrl.updatePod,
		DeleteFunc: ctrl.deletePod,
	})

	// func1, func2, func3 do the work themselves.
	handlers := cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			key, err := cache.MetaNamespaceKeyFunc(obj)
			if err == nil {
				ctrl.queue.Add(key)
			}
		},
		UpdateFunc: func(old interface{}, new interface{}) {
			key, err := cache.MetaNamespaceKeyFunc(new)
			if err == nil {
				ctrl.queue.Add(key)
			}
		},
		DeleteFunc: func(obj interface{}) {
			key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
			if err == nil {
				ctrl.queue.Add(key)
			}
		},
	}
	secretListWatcher := cache.NewListWatchFromClient(c.CoreV1().RESTClient(), "secrets", ns, fields.Everything())
	ctrl.secretIndexer, ctrl.secretController = cache.NewIndexerInformer(secretListWatcher, &v1.Secret{}, resync, handlers, cache.Indexers{})

	// A hand-written ListWatch (func4, func5: not handlers).
	ctrl.deployStore, ctrl.deployController = cache.NewInformer(
		&cache.ListWatch{
			ListFunc: func(options metav1.ListOptions) (runtime.Object, error) {
				return c.AppsV1().Deployments(ns).List(ctx, options)
			},
			WatchFunc: func(options metav1.ListOptions) (watch.Interface, error) {
				return c.AppsV1().Deployments(ns).Watch(ctx, options)
			},
		},
		&appsv1.Deployment{},
		0,
		cache.ResourceEventHandlerFuncs{
			AddFunc:    ctrl.addDeployment,
			DeleteFunc: ctrl.deleteDeployment,
		},
	)
	return ctrl
}

func (ctrl *Controller) enqueue(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	ctrl.queue.Add(key)
}

func (ctrl *Controller) addPod(obj interface{}) {
	ctrl.enqueue(obj)
}

func (ctrl *Controller) updatePod(oldObj, newObj interface{}) {
	ctrl.enqueue(newObj)
}

func (ctrl *Controller) deletePod(obj interface{}) {
	ctrl.enqueue(obj)
}

func (ctrl *Controller) addDeployment(obj interface{}) {
	ctrl.enqueue(obj)
}

func (ctrl *Controller) deleteDeployment(obj interface{}) {
	ctrl.enqueue(obj)
}
