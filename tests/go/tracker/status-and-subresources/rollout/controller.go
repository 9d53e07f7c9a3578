// Package rollout exercises the typed-client calls whose api_resource is a subresource or
// whose verb is not the method name: UpdateStatus, Patch(..., "status"), Evict, UpdateScale,
// CreateToken, Namespaces().Finalize and Apply with an apply configuration.
package rollout

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	v1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	appsv1apply "k8s.io/client-go/applyconfigurations/apps/v1"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

const fieldManager = "rollout-controller"

type Controller struct {
	client    clientset.Interface
	dLister   appslisters.DeploymentLister
	podLister corelisters.PodLister
	nsLister  corelisters.NamespaceLister
	queue     workqueue.RateLimitingInterface
}

func NewController(dInformer appsinformers.DeploymentInformer, podInformer coreinformers.PodInformer, nsInformer coreinformers.NamespaceInformer, client clientset.Interface) *Controller {
	c := &Controller{
		client: client,
		queue:  workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "rollout"),
	}
	dInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.addDeployment,
	})
	c.dLister = dInformer.Lister()
	c.podLister = podInformer.Lister()
	c.nsLister = nsInformer.Lister()
	return c
}

func (c *Controller) Run(ctx context.Context) {
	defer c.queue.ShutDown()
	go wait.UntilWithContext(ctx, c.worker, time.Second)
	<-ctx.Done()
}

func (c *Controller) addDeployment(obj interface{}) {
	key, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
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
	d, err := c.dLister.Deployments(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return c.finalizeNamespace(ctx, namespace)
	}
	if err != nil {
		return err
	}
	if err := c.updateStatus(ctx, d); err != nil {
		return err
	}
	if err := c.scale(ctx, d); err != nil {
		return err
	}
	if err := c.applyLabels(ctx, d); err != nil {
		return err
	}
	if err := c.requestToken(ctx, d); err != nil {
		return err
	}
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return err
	}
	pods, err := c.podLister.Pods(d.Namespace).List(selector)
	if err != nil {
		return err
	}
	for _, pod := range pods {
		if pod.Status.Phase == v1.PodFailed {
			if err := c.evictPod(ctx, pod); err != nil {
				return err
			}
			continue
		}
		if err := c.markPodRolledOut(ctx, pod); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) updateStatus(ctx context.Context, d *appsv1.Deployment) error {
	newD := d.DeepCopy()
	newD.Status.ObservedGeneration = d.Generation
	_, err := c.client.AppsV1().Deployments(newD.Namespace).UpdateStatus(ctx, newD, metav1.UpdateOptions{})
	return err
}

func (c *Controller) scale(ctx context.Context, d *appsv1.Deployment) error {
	scale := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: d.Name, Namespace: d.Namespace, ResourceVersion: d.ResourceVersion},
		Spec:       autoscalingv1.ScaleSpec{Replicas: *d.Spec.Replicas + 1},
	}
	_, err := c.client.AppsV1().Deployments(d.Namespace).UpdateScale(ctx, d.Name, scale, metav1.UpdateOptions{})
	return err
}

func (c *Controller) applyLabels(ctx context.Context, d *appsv1.Deployment) error {
	deploymentApply := appsv1apply.Deployment(d.Name, d.Namespace).
		WithLabels(map[string]string{"rolled-out": "true"})
	_, err := c.client.AppsV1().Deployments(d.Namespace).Apply(ctx, deploymentApply, metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
	return err
}

func (c *Controller) requestToken(ctx context.Context, d *appsv1.Deployment) error {
	expiration := int64(3600)
	tr := &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{
			Audiences:         []string{"rollout"},
			ExpirationSeconds: &expiration,
		},
	}
	_, err := c.client.CoreV1().ServiceAccounts(d.Namespace).CreateToken(ctx, d.Spec.Template.Spec.ServiceAccountName, tr, metav1.CreateOptions{})
	return err
}

func (c *Controller) markPodRolledOut(ctx context.Context, pod *v1.Pod) error {
	patch := []byte(fmt.Sprintf(`{"status":{"conditions":[{"type":"RolledOut","status":"True","lastTransitionTime":%q}]}}`, metav1.Now().Format(time.RFC3339)))
	_, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	return err
}

func (c *Controller) evictPod(ctx context.Context, pod *v1.Pod) error {
	eviction := &policyv1.Eviction{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace},
	}
	return c.client.PolicyV1().Evictions(eviction.Namespace).Evict(ctx, eviction)
}

func (c *Controller) finalizeNamespace(ctx context.Context, namespace string) error {
	ns, err := c.nsLister.Get(namespace)
	if err != nil {
		return err
	}
	if ns.Status.Phase != v1.NamespaceTerminating {
		return nil
	}
	finalized := ns.DeepCopy()
	finalized.Spec.Finalizers = nil
	_, err = c.client.CoreV1().Namespaces().Finalize(ctx, finalized, metav1.UpdateOptions{})
	return err
}
