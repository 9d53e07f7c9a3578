// Package podcreator is a ReplicaSet-like controller: it creates pods.
package podcreator

import (
	"context"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"example.com/two-controllers-same-queue-type/util"
)

var controllerKind = apps.SchemeGroupVersion.WithKind("ReplicaSet")

type Controller struct {
	kubeClient   clientset.Interface
	rsLister     appslisters.ReplicaSetLister
	podLister    corelisters.PodLister
	expectations *util.Expectations
	queue        workqueue.RateLimitingInterface
}

func NewController(rsInformer appsinformers.ReplicaSetInformer, podInformer coreinformers.PodInformer, kubeClient clientset.Interface) *Controller {
	c := &Controller{
		kubeClient:   kubeClient,
		expectations: util.NewExpectations(),
		queue:        workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "podcreator"),
	}
	rsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addReplicaSet,
	})
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addPod,
	})
	c.rsLister = rsInformer.Lister()
	c.podLister = podInformer.Lister()
	return c
}

func (c *Controller) Run(ctx context.Context) {
	defer c.queue.ShutDown()
	go wait.UntilWithContext(ctx, c.worker, time.Second)
	<-ctx.Done()
}

func (c *Controller) addReplicaSet(obj interface{}) {
	util.Enqueue(c.queue, obj)
}

func (c *Controller) addPod(obj interface{}) {
	pod := obj.(*v1.Pod)
	ref := metav1.GetControllerOf(pod)
	if ref == nil || ref.Kind != controllerKind.Kind {
		return
	}
	rs, err := c.rsLister.ReplicaSets(pod.Namespace).Get(ref.Name)
	if err != nil {
		return
	}
	c.expectations.Observed(pod.Namespace + "/" + rs.Name)
	util.Enqueue(c.queue, rs)
}

func (c *Controller) worker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if err := c.sync(ctx, key.(string)); err != nil {
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *Controller) sync(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	rs, err := c.rsLister.ReplicaSets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !c.expectations.Satisfied(key) {
		return nil
	}
	selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return err
	}
	pods, err := c.podLister.Pods(rs.Namespace).List(selector)
	if err != nil {
		return err
	}
	diff := int(*rs.Spec.Replicas) - len(pods)
	if diff <= 0 {
		return nil
	}
	c.expectations.Expect(key, int64(diff))
	for i := 0; i < diff; i++ {
		pod := &v1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				GenerateName:    rs.Name + "-",
				Namespace:       rs.Namespace,
				Labels:          rs.Spec.Template.Labels,
				OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(rs, controllerKind)},
			},
			Spec: rs.Spec.Template.Spec,
		}
		if _, err := c.kubeClient.CoreV1().Pods(rs.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}
