// Package podcleanup: the sync writes through a dynamic client (GVR a composite literal of
// apps/v1 replicasets), a metadata client (GVR resolved by a RESTMapper at run time, so the
// resource is unknown statically: "*"), and a raw rest request (POST pods/<name>/eviction,
// as kubectl drain did before the policy client).
package podcleanup

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

const (
	evictAnnotation       = "example.com/evict"
	deleteOwnerAnnotation = "example.com/delete-owner"
)

type Controller struct {
	kubeClient     clientset.Interface
	dynamicClient  dynamic.Interface
	metadataClient metadata.Interface
	restMapper     meta.RESTMapper
	podLister      corelisters.PodLister
	queue          workqueue.RateLimitingInterface
}

func NewController(podInformer coreinformers.PodInformer, kubeClient clientset.Interface, dynamicClient dynamic.Interface, metadataClient metadata.Interface, restMapper meta.RESTMapper) *Controller {
	c := &Controller{
		kubeClient:     kubeClient,
		dynamicClient:  dynamicClient,
		metadataClient: metadataClient,
		restMapper:     restMapper,
		queue:          workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "podcleanup"),
	}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.addPod,
		UpdateFunc: c.updatePod,
	})
	c.podLister = podInformer.Lister()
	return c
}

func (c *Controller) Run(ctx context.Context, workers int) {
	defer c.queue.ShutDown()
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, c.worker, time.Second)
	}
	<-ctx.Done()
}

func (c *Controller) addPod(obj interface{}) {
	c.enqueue(obj)
}

func (c *Controller) updatePod(old, cur interface{}) {
	if old.(*v1.Pod).ResourceVersion == cur.(*v1.Pod).ResourceVersion {
		return
	}
	c.enqueue(cur)
}

func (c *Controller) enqueue(obj interface{}) {
	key, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	c.queue.Add(key)
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
	pod, err := c.podLister.Pods(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if pod.Annotations[evictAnnotation] == "true" {
		return c.evictPod(ctx, pod)
	}
	for _, ref := range pod.OwnerReferences {
		if ref.Kind == "ReplicaSet" && pod.Annotations[deleteOwnerAnnotation] == "true" {
			if err := c.deleteOwnerReplicaSet(ctx, pod.Namespace, ref.Name); err != nil {
				return err
			}
			continue
		}
		if err := c.removeOwnerFinalizers(ctx, pod.Namespace, ref); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) deleteOwnerReplicaSet(ctx context.Context, namespace, name string) error {
	gvr := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}
	return c.dynamicClient.Resource(gvr).Namespace(namespace).Delete(ctx, name, metav1.DeleteOptions{})
}

func (c *Controller) removeOwnerFinalizers(ctx context.Context, namespace string, ref metav1.OwnerReference) error {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return err
	}
	mapping, err := c.restMapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: ref.Kind}, gv.Version)
	if err != nil {
		return fmt.Errorf("unable to map %s: %v", ref.Kind, err)
	}
	patch := []byte(`{"metadata":{"finalizers":null}}`)
	_, err = c.metadataClient.Resource(mapping.Resource).Namespace(namespace).Patch(ctx, ref.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

func (c *Controller) evictPod(ctx context.Context, pod *v1.Pod) error {
	eviction := &policyv1.Eviction{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace},
	}
	return c.kubeClient.CoreV1().RESTClient().Post().
		Namespace(pod.Namespace).
		Resource("pods").
		Name(pod.Name).
		SubResource("eviction").
		Body(eviction).
		Do(ctx).
		Error()
}
