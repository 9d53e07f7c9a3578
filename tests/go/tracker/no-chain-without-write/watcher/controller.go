// Package watcher has handlers and an API write, but no chain:
//   - the pod add handler only logs and reads a lister (writes nothing shared);
//   - the service update handler writes the queue, but the queue reader only reads listers
//     and logs (no API write);
//   - the only API write (UpdateStatus in resyncPods) is driven by lister reads on a timer,
//     and lister reads are informer-cache reads that handlers never write.
package watcher

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

type Controller struct {
	kubeClient    clientset.Interface
	podLister     corelisters.PodLister
	nodeLister    corelisters.NodeLister
	serviceLister corelisters.ServiceLister
	queue         workqueue.RateLimitingInterface
	logger        klog.Logger
}

func NewController(ctx context.Context, podInformer coreinformers.PodInformer, nodeInformer coreinformers.NodeInformer, serviceInformer coreinformers.ServiceInformer, kubeClient clientset.Interface) *Controller {
	c := &Controller{
		kubeClient: kubeClient,
		queue:      workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "watcher"),
		logger:     klog.FromContext(ctx),
	}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.logPod,
	})
	serviceInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: c.updateService,
	})
	c.podLister = podInformer.Lister()
	c.nodeLister = nodeInformer.Lister()
	c.serviceLister = serviceInformer.Lister()
	return c
}

func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	go wait.UntilWithContext(ctx, c.worker, time.Second)
	go wait.UntilWithContext(ctx, c.resyncPods, time.Minute)
	<-ctx.Done()
}

// logPod only logs and reads the node lister.
func (c *Controller) logPod(obj interface{}) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	node, err := c.nodeLister.Get(pod.Spec.NodeName)
	if err != nil {
		c.logger.V(4).Info("Pod on unknown node", "pod", klog.KObj(pod), "node", pod.Spec.NodeName)
		return
	}
	c.logger.V(4).Info("Pod added", "pod", klog.KObj(pod), "node", klog.KObj(node))
}

func (c *Controller) updateService(old, cur interface{}) {
	key, err := cache.MetaNamespaceKeyFunc(cur)
	if err != nil {
		return
	}
	c.queue.Add(key)
}

func (c *Controller) worker(ctx context.Context) {
	for c.processNextWorkItem() {
	}
}

func (c *Controller) processNextWorkItem() bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	c.inspectService(key.(string))
	c.queue.Forget(key)
	return true
}

// inspectService reads listers and logs; it writes nothing to the API server.
func (c *Controller) inspectService(key string) {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return
	}
	svc, err := c.serviceLister.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		return
	}
	pods, err := c.podLister.Pods(svc.Namespace).List(labels.Set(svc.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		return
	}
	c.logger.V(2).Info("Service inspected", "service", klog.KObj(svc), "backends", len(pods))
}

// resyncPods is driven by a timer and lister reads only.
func (c *Controller) resyncPods(ctx context.Context) {
	pods, err := c.podLister.List(labels.Everything())
	if err != nil {
		return
	}
	for _, pod := range pods {
		if pod.Spec.NodeName == "" || pod.Status.Phase != v1.PodPending {
			continue
		}
		if _, err := c.nodeLister.Get(pod.Spec.NodeName); apierrors.IsNotFound(err) {
			updated := pod.DeepCopy()
			updated.Status.Phase = v1.PodFailed
			updated.Status.Reason = "NodeLost"
			if _, err := c.kubeClient.CoreV1().Pods(updated.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
				utilruntime.HandleError(err)
			}
		}
	}
}
