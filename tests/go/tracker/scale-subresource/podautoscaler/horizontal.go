// Package podautoscaler mimics pkg/controller/podautoscaler/horizontal.go (v1.28): the HPA reads
// and writes its target's scale subresource through the generic scale client
// (k8s.io/client-go/scale): Scales(ns).Get (1340) and Scales(ns).Update(ctx, targetGR, scale, ...)
// (878) with a group-resource found through the REST mapper at run time, then updates its own
// status. A second path patches a Deployment's scale with a constant GroupVersionResource.
package podautoscaler

import (
	"context"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	autoscalinginformers "k8s.io/client-go/informers/autoscaling/v2"
	autoscalingclient "k8s.io/client-go/kubernetes/typed/autoscaling/v2"
	autoscalinglisters "k8s.io/client-go/listers/autoscaling/v2"
	scaleclient "k8s.io/client-go/scale"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// HorizontalController scales workloads.
type HorizontalController struct {
	scaleNamespacer scaleclient.ScalesGetter
	hpaNamespacer   autoscalingclient.HorizontalPodAutoscalersGetter
	mapper          meta.RESTMapper
	eventRecorder   record.EventRecorder
	hpaLister       autoscalinglisters.HorizontalPodAutoscalerLister
	queue           workqueue.RateLimitingInterface
}

// NewHorizontalController registers the HPA handler.
func NewHorizontalController(hpaNamespacer autoscalingclient.HorizontalPodAutoscalersGetter, scaleNamespacer scaleclient.ScalesGetter, mapper meta.RESTMapper, hpaInformer autoscalinginformers.HorizontalPodAutoscalerInformer, recorder record.EventRecorder) *HorizontalController {
	hpaController := &HorizontalController{
		eventRecorder:   recorder,
		scaleNamespacer: scaleNamespacer,
		hpaNamespacer:   hpaNamespacer,
		mapper:          mapper,
		queue:           workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "horizontalpodautoscaler"),
	}
	hpaInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: hpaController.enqueueHPA,
	})
	hpaController.hpaLister = hpaInformer.Lister()
	return hpaController
}

// Run starts the worker.
func (a *HorizontalController) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, a.worker, time.Second)
	<-ctx.Done()
}

func (a *HorizontalController) enqueueHPA(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	a.queue.AddRateLimited(key)
}

func (a *HorizontalController) worker(ctx context.Context) {
	key, quit := a.queue.Get()
	if quit {
		return
	}
	defer a.queue.Done(key)
	a.reconcileKey(ctx, key.(string))
}

func (a *HorizontalController) reconcileKey(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	hpa, err := a.hpaLister.HorizontalPodAutoscalers(namespace).Get(name)
	if err != nil {
		return err
	}
	if hpa.Spec.ScaleTargetRef.Kind == "Deployment" && hpa.Spec.MinReplicas != nil && *hpa.Spec.MinReplicas == 0 {
		return a.scaleDeploymentToZero(ctx, hpa)
	}
	return a.reconcileAutoscaler(ctx, hpa)
}

func (a *HorizontalController) reconcileAutoscaler(ctx context.Context, hpaShared *autoscalingv2.HorizontalPodAutoscaler) error {
	hpa := hpaShared.DeepCopy()
	targetGV, err := schema.ParseGroupVersion(hpa.Spec.ScaleTargetRef.APIVersion)
	if err != nil {
		return err
	}
	targetGK := schema.GroupKind{Group: targetGV.Group, Kind: hpa.Spec.ScaleTargetRef.Kind}
	mappings, err := a.mapper.RESTMappings(targetGK)
	if err != nil || len(mappings) == 0 {
		a.eventRecorder.Event(hpa, v1.EventTypeWarning, "FailedGetScale", "no mapping")
		return fmt.Errorf("unable to determine resource for scale target reference: %v", err)
	}
	targetGR := mappings[0].Resource.GroupResource()
	scale, err := a.scaleNamespacer.Scales(hpa.Namespace).Get(ctx, targetGR, hpa.Spec.ScaleTargetRef.Name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	desiredReplicas := hpa.Status.DesiredReplicas
	if scale.Spec.Replicas != desiredReplicas {
		scale.Spec.Replicas = desiredReplicas
		if _, err = a.scaleNamespacer.Scales(hpa.Namespace).Update(ctx, targetGR, scale, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	hpa.Status.CurrentReplicas = scale.Status.Replicas
	_, err = a.hpaNamespacer.HorizontalPodAutoscalers(hpa.Namespace).UpdateStatus(ctx, hpa, metav1.UpdateOptions{})
	return err
}

// scaleDeploymentToZero patches a Deployment's scale through a constant GroupVersionResource.
func (a *HorizontalController) scaleDeploymentToZero(ctx context.Context, hpa *autoscalingv2.HorizontalPodAutoscaler) error {
	gvr := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	patch := []byte(`{"spec":{"replicas":0}}`)
	_, err := a.scaleNamespacer.Scales(hpa.Namespace).Patch(ctx, gvr, hpa.Spec.ScaleTargetRef.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}
