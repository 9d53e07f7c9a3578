// Package serviceaccount mimics pkg/controller/serviceaccount/tokens_controller.go (v1.28): two
// queues of one controller, each read by its own worker (syncServiceAccount 220, syncSecret 255),
// and one helper, retryOrForget(logger, queue, key, requeue) (192), called with both queues from
// deferred literals (230, 266). The helper's queue parameter must not make the two queues one.
package serviceaccount

import (
	"context"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	informers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

type queueKey struct {
	namespace string
	name      string
	saName    string
}

// TokensController manages token secrets of service accounts.
type TokensController struct {
	client                  clientset.Interface
	serviceAccounts         listersv1.ServiceAccountLister
	secrets                 listersv1.SecretLister
	syncServiceAccountQueue workqueue.RateLimitingInterface
	syncSecretQueue         workqueue.RateLimitingInterface
	maxRetries              int
}

// NewTokensController registers the service account and secret handlers.
func NewTokensController(serviceAccounts informers.ServiceAccountInformer, secrets informers.SecretInformer, cl clientset.Interface) (*TokensController, error) {
	e := &TokensController{
		client:                  cl,
		syncServiceAccountQueue: workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "serviceaccount_tokens_service"),
		syncSecretQueue:         workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "serviceaccount_tokens_secret"),
		maxRetries:              10,
	}
	e.serviceAccounts = serviceAccounts.Lister()
	serviceAccounts.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    e.queueServiceAccountSync,
		UpdateFunc: e.queueServiceAccountUpdateSync,
		DeleteFunc: e.queueServiceAccountSync,
	})
	e.secrets = secrets.Lister()
	secrets.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    e.queueSecretSync,
		UpdateFunc: e.queueSecretUpdateSync,
		DeleteFunc: e.queueSecretSync,
	})
	return e, nil
}

// Run starts both workers.
func (e *TokensController) Run(ctx context.Context, workers int) {
	defer e.syncServiceAccountQueue.ShutDown()
	defer e.syncSecretQueue.ShutDown()
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, e.syncServiceAccount, 0)
		go wait.UntilWithContext(ctx, e.syncSecret, 0)
	}
	<-ctx.Done()
}

func (e *TokensController) queueServiceAccountSync(obj interface{}) {
	if serviceAccount, ok := obj.(*v1.ServiceAccount); ok {
		e.syncServiceAccountQueue.Add(queueKey{namespace: serviceAccount.Namespace, name: serviceAccount.Name})
	}
}

func (e *TokensController) queueServiceAccountUpdateSync(oldObj interface{}, newObj interface{}) {
	if serviceAccount, ok := newObj.(*v1.ServiceAccount); ok {
		e.syncServiceAccountQueue.Add(queueKey{namespace: serviceAccount.Namespace, name: serviceAccount.Name})
	}
}

// retryOrForget optionally requeues key: one helper for both queues.
func (e *TokensController) retryOrForget(logger klog.Logger, queue workqueue.RateLimitingInterface, key interface{}, requeue bool) {
	if !requeue {
		queue.Forget(key)
		return
	}
	requeueCount := queue.NumRequeues(key)
	if requeueCount < e.maxRetries {
		queue.AddRateLimited(key)
		return
	}
	logger.V(4).Info("retried several times", "key", key, "count", requeueCount)
	queue.Forget(key)
}

func (e *TokensController) queueSecretSync(obj interface{}) {
	if secret, ok := obj.(*v1.Secret); ok {
		e.syncSecretQueue.Add(queueKey{namespace: secret.Namespace, name: secret.Name, saName: secret.Annotations[v1.ServiceAccountNameKey]})
	}
}

func (e *TokensController) queueSecretUpdateSync(oldObj interface{}, newObj interface{}) {
	if secret, ok := newObj.(*v1.Secret); ok {
		e.syncSecretQueue.Add(queueKey{namespace: secret.Namespace, name: secret.Name, saName: secret.Annotations[v1.ServiceAccountNameKey]})
	}
}

func (e *TokensController) syncServiceAccount(ctx context.Context) {
	logger := klog.FromContext(ctx)
	key, quit := e.syncServiceAccountQueue.Get()
	if quit {
		return
	}
	defer e.syncServiceAccountQueue.Done(key)
	retry := false
	defer func() {
		e.retryOrForget(logger, e.syncServiceAccountQueue, key, retry)
	}()
	saInfo := key.(queueKey)
	sa, err := e.serviceAccounts.ServiceAccounts(saInfo.namespace).Get(saInfo.name)
	if err != nil && !apierrors.IsNotFound(err) {
		retry = true
		return
	}
	if sa == nil || apierrors.IsNotFound(err) {
		retry = e.deleteTokens(saInfo.namespace, saInfo.name)
	}
}

func (e *TokensController) syncSecret(ctx context.Context) {
	key, quit := e.syncSecretQueue.Get()
	if quit {
		return
	}
	defer e.syncSecretQueue.Done(key)
	logger := klog.FromContext(ctx)
	retry := false
	defer func() {
		e.retryOrForget(logger, e.syncSecretQueue, key, retry)
	}()
	secretInfo := key.(queueKey)
	secret, err := e.secrets.Secrets(secretInfo.namespace).Get(secretInfo.name)
	switch {
	case err != nil && !apierrors.IsNotFound(err):
		retry = true
	case secret == nil || apierrors.IsNotFound(err):
		if err := e.removeSecretReference(secretInfo.namespace, secretInfo.saName, secretInfo.name); err != nil {
			retry = true
		}
	default:
		sa, saErr := e.serviceAccounts.ServiceAccounts(secretInfo.namespace).Get(secretInfo.saName)
		switch {
		case saErr != nil && !apierrors.IsNotFound(saErr):
			retry = true
		case sa == nil || apierrors.IsNotFound(saErr):
			retry = e.deleteToken(secretInfo.namespace, secretInfo.name)
		default:
			retry = e.generateTokenIfNeeded(sa, secret)
		}
	}
}

func (e *TokensController) deleteTokens(namespace, saName string) bool {
	secrets, err := e.secrets.Secrets(namespace).List(labels.Everything())
	if err != nil {
		return false
	}
	retry := false
	for _, s := range secrets {
		if s.Annotations[v1.ServiceAccountNameKey] == saName {
			retry = e.deleteToken(s.Namespace, s.Name) || retry
		}
	}
	return retry
}

func (e *TokensController) deleteToken(ns, name string) bool {
	err := e.client.CoreV1().Secrets(ns).Delete(context.TODO(), name, metav1.DeleteOptions{})
	return err != nil && !apierrors.IsNotFound(err)
}

func (e *TokensController) generateTokenIfNeeded(sa *v1.ServiceAccount, cachedSecret *v1.Secret) bool {
	secret := cachedSecret.DeepCopy()
	if secret.Data == nil {
		secret.Data = map[string][]byte{}
	}
	secret.Data[v1.ServiceAccountNamespaceKey] = []byte(sa.Namespace)
	_, err := e.client.CoreV1().Secrets(secret.Namespace).Update(context.TODO(), secret, metav1.UpdateOptions{})
	return err != nil
}

func (e *TokensController) removeSecretReference(saNamespace, saName, secretName string) error {
	serviceAccount, err := e.client.CoreV1().ServiceAccounts(saNamespace).Get(context.TODO(), saName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	secrets := []v1.ObjectReference{}
	for _, s := range serviceAccount.Secrets {
		if s.Name != secretName {
			secrets = append(secrets, s)
		}
	}
	serviceAccount.Secrets = secrets
	_, err = e.client.CoreV1().ServiceAccounts(saNamespace).Update(context.TODO(), serviceAccount, metav1.UpdateOptions{})
	return err
}
