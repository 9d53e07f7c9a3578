// Package endpoint is a cut-down pkg/controller/endpoint/endpoints_controller.go whose queue
// and worker loop live in an embedded *baseController.
package endpoint

import (
	"context"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

type Controller struct {
	*baseController

	client        clientset.Interface
	serviceLister corelisters.ServiceLister
	podLister     corelisters.PodLister
}

func NewEndpointController(podInformer coreinformers.PodInformer, serviceInformer coreinformers.ServiceInformer, client clientset.Interface) *Controller {
	e := &Controller{
		baseController: newBaseController("endpoint"),
		client:         client,
	}
	serviceInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    e.onServiceUpdate,
		DeleteFunc: e.onServiceDelete,
	})
	e.serviceLister = serviceInformer.Lister()
	e.podLister = podInformer.Lister()
	e.syncHandler = e.syncService
	return e
}

// onServiceUpdate enqueues through the promoted method baseController.enqueue.
func (e *Controller) onServiceUpdate(obj interface{}) {
	e.enqueue(obj)
}

// onServiceDelete writes the promoted field baseController.queue directly.
func (e *Controller) onServiceDelete(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	e.queue.Add(key)
}

func (e *Controller) syncService(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	service, err := e.serviceLister.Services(namespace).Get(name)
	if err != nil {
		if !errors.IsNotFound(err) {
			return err
		}
		// Delete the corresponding endpoint, as the service has been deleted.
		err = e.client.CoreV1().Endpoints(namespace).Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !errors.IsNotFound(err) {
			return err
		}
		return nil
	}
	pods, err := e.podLister.Pods(service.Namespace).List(labels.Set(service.Spec.Selector).AsSelectorPreValidated())
	if err != nil {
		return err
	}
	subset := v1.EndpointSubset{}
	for _, pod := range pods {
		subset.Addresses = append(subset.Addresses, v1.EndpointAddress{IP: pod.Status.PodIP, NodeName: &pod.Spec.NodeName})
	}
	newEndpoints := &v1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: service.Name, Namespace: service.Namespace, Labels: service.Labels},
		Subsets:    []v1.EndpointSubset{subset},
	}
	_, err = e.client.CoreV1().Endpoints(service.Namespace).Create(ctx, newEndpoints, metav1.CreateOptions{})
	return err
}
