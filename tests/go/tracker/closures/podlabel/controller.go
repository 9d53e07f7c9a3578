// Package podlabel: handlers are func literals capturing the controller. AddFunc and
// DeleteFunc compute the key and write the queue themselves (so each literal is the handler);
// UpdateFunc only forwards to c.enqueue(cur), as endpoints_controller.go does with
// e.onServiceUpdate(cur). The worker is a closure stored in a local and passed to wait.UntilWithContext.
package podlabel

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

const nodeLabel = "example.com/node"

var keyFunc = cache.DeletionHandlingMetaNamespaceKeyFunc

type Controller struct {
	kubeClient clientset.Interface
	recorder   record.EventRecorder
	podLister  corelisters.PodLister
	queue      workqueue.RateLimitingInterface
}

func NewController(podInformer coreinformers.PodInformer, kubeClient clientset.Interface, recorder record.EventRecorder) *Controller {
	c := &Controller{
		kubeClient: kubeClient,
		recorder:   recorder,
		queue:      workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "podlabel"),
	}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			key, err := keyFunc(obj)
			if err != nil {
				utilruntime.HandleError(err)
				return
			}
			c.queue.Add(key)
		},
		UpdateFunc: func(old, cur interface{}) {
			c.enqueue(cur)
		},
		DeleteFunc: func(obj interface{}) {
			if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tombstone.Obj
			}
			key, err := cache.MetaNamespaceKeyFunc(obj)
			if err != nil {
				return
			}
			c.queue.Add(key)
		},
	})
	c.podLister = podInformer.Lister()
	return c
}

func (c *Controller) enqueue(obj interface{}) {
	key, err := keyFunc(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for object %+v: %v", obj, err))
		return
	}
	c.queue.Add(key)
}

func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()

	worker := func(ctx context.Context) {
		for {
			key, quit := c.queue.Get()
			if quit {
				return
			}
			err := c.syncPod(ctx, key.(string))
			c.handleErr(err, key)
			c.queue.Done(key)
		}
	}
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, worker, time.Second)
	}
	<-ctx.Done()
}

func (c *Controller) handleErr(err error, key interface{}) {
	if err == nil {
		c.queue.Forget(key)
		return
	}
	utilruntime.HandleError(fmt.Errorf("error syncing pod %v: %v", key, err))
	c.queue.AddRateLimited(key)
}

func (c *Controller) syncPod(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	pod, err := c.podLister.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if pod.Labels[nodeLabel] == pod.Spec.NodeName {
		return nil
	}
	patch := []byte(fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, nodeLabel, pod.Spec.NodeName))
	if _, err := c.kubeClient.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return err
	}
	c.recorder.Eventf(pod, v1.EventTypeNormal, "Labeled", "Labeled pod with node %s", pod.Spec.NodeName)
	return nil
}
