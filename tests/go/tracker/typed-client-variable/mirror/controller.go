// Package mirror writes through typed clients held in variables, fields and parameters:
//   - a local: podClient := c.kubeClient.CoreV1().Pods(ns); podClient.Delete(...)
//   - a field of type corev1client.SecretInterface set from client.CoreV1().Secrets(ns)
//   - a field of type corev1client.CoreV1Interface set from client.CoreV1()
//   - a parameter: updateServiceAccount(ctx, c.kubeClient.CoreV1().ServiceAccounts(ns), sa), as
//     replica_set_utils.go updateReplicaSetStatus receives its client.
package mirror

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

const (
	mirrorLabel         = "example.com/mirror"
	restartOnChangeAnno = "example.com/restart-on-change"
	bundleName          = "ca-bundle"
)

type Controller struct {
	kubeClient   clientset.Interface
	coreClient   corev1client.CoreV1Interface
	secretClient corev1client.SecretInterface

	cmLister     corelisters.ConfigMapLister
	secretLister corelisters.SecretLister
	podLister    corelisters.PodLister
	saLister     corelisters.ServiceAccountLister
	queue        workqueue.RateLimitingInterface
}

func NewController(cmInformer coreinformers.ConfigMapInformer, secretInformer coreinformers.SecretInformer, podInformer coreinformers.PodInformer, saInformer coreinformers.ServiceAccountInformer, client clientset.Interface) *Controller {
	c := &Controller{
		kubeClient:   client,
		coreClient:   client.CoreV1(),
		secretClient: client.CoreV1().Secrets(metav1.NamespaceSystem),
		queue:        workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "mirror"),
	}
	cmInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueueConfigMap,
		UpdateFunc: func(old, cur interface{}) {
			c.enqueueConfigMap(cur)
		},
	})
	c.cmLister = cmInformer.Lister()
	c.secretLister = secretInformer.Lister()
	c.podLister = podInformer.Lister()
	c.saLister = saInformer.Lister()
	return c
}

func (c *Controller) Run(ctx context.Context) {
	defer c.queue.ShutDown()
	go wait.UntilWithContext(ctx, c.worker, time.Second)
	<-ctx.Done()
}

func (c *Controller) enqueueConfigMap(obj interface{}) {
	cm, ok := obj.(*v1.ConfigMap)
	if !ok || cm.Labels[mirrorLabel] != "true" {
		return
	}
	key, err := cache.MetaNamespaceKeyFunc(cm)
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
	cm, err := c.cmLister.ConfigMaps(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.mirrorSecret(ctx, cm); err != nil {
		return err
	}
	if err := c.publishBundle(ctx, cm); err != nil {
		return err
	}
	if err := c.restartPods(ctx, cm); err != nil {
		return err
	}
	sa, err := c.saLister.ServiceAccounts(cm.Namespace).Get("default")
	if err != nil {
		return err
	}
	sa = sa.DeepCopy()
	if sa.Annotations == nil {
		sa.Annotations = map[string]string{}
	}
	sa.Annotations[mirrorLabel] = cm.ResourceVersion
	return updateServiceAccount(ctx, c.kubeClient.CoreV1().ServiceAccounts(cm.Namespace), sa)
}

func (c *Controller) mirrorSecret(ctx context.Context, cm *v1.ConfigMap) error {
	secret, err := c.secretLister.Secrets(metav1.NamespaceSystem).Get(cm.Namespace + "-" + cm.Name)
	if err != nil {
		return err
	}
	secret = secret.DeepCopy()
	secret.StringData = cm.Data
	_, err = c.secretClient.Update(ctx, secret, metav1.UpdateOptions{})
	return err
}

func (c *Controller) publishBundle(ctx context.Context, cm *v1.ConfigMap) error {
	bundle := &v1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: bundleName, Namespace: cm.Namespace},
		Data:       cm.Data,
	}
	_, err := c.coreClient.ConfigMaps(cm.Namespace).Create(ctx, bundle, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

func (c *Controller) restartPods(ctx context.Context, cm *v1.ConfigMap) error {
	pods, err := c.podLister.Pods(cm.Namespace).List(labels.Everything())
	if err != nil {
		return err
	}
	podClient := c.kubeClient.CoreV1().Pods(cm.Namespace)
	for _, pod := range pods {
		if pod.Annotations[restartOnChangeAnno] != cm.Name {
			continue
		}
		if err := podClient.Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func updateServiceAccount(ctx context.Context, saClient corev1client.ServiceAccountInterface, sa *v1.ServiceAccount) error {
	_, err := saClient.Update(ctx, sa, metav1.UpdateOptions{})
	return err
}
