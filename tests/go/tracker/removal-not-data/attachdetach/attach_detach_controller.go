// Package attachdetach mimics DSW removals in the attach/detach controller
// (desired_state_of_world.go DeletePod, util.go:241): the pod delete handler removes the pod's
// volumes from the desired state with delete(m, k); the reconciler attaches what the desired
// state holds and detaches what is attached but no longer desired. The removal carries no data
// to either API call; it can only allow the detach or prevent an attach.
package attachdetach

import (
	"context"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

type desiredStateOfWorld struct {
	sync.RWMutex
	volumes map[string]string
}

func (dsw *desiredStateOfWorld) DeletePod(volumeName string) {
	dsw.Lock()
	defer dsw.Unlock()
	delete(dsw.volumes, volumeName)
}

func (dsw *desiredStateOfWorld) VolumeExists(volumeName string) bool {
	dsw.RLock()
	defer dsw.RUnlock()
	_, ok := dsw.volumes[volumeName]
	return ok
}

func (dsw *desiredStateOfWorld) GetVolumesToAttach() map[string]string {
	dsw.RLock()
	defer dsw.RUnlock()
	out := map[string]string{}
	for k, v := range dsw.volumes {
		out[k] = v
	}
	return out
}

type attachDetachController struct {
	kubeClient          clientset.Interface
	desiredStateOfWorld *desiredStateOfWorld
	attached            map[string]string
}

// NewAttachDetachController registers the pod delete handler.
func NewAttachDetachController(kubeClient clientset.Interface, podInformer coreinformers.PodInformer) (*attachDetachController, error) {
	adc := &attachDetachController{
		kubeClient:          kubeClient,
		desiredStateOfWorld: &desiredStateOfWorld{volumes: map[string]string{}},
		attached:            map[string]string{},
	}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: adc.podDelete,
	})
	return adc, nil
}

// Run starts the reconciler.
func (adc *attachDetachController) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, adc.reconcile, time.Second)
	<-ctx.Done()
}

func (adc *attachDetachController) podDelete(obj interface{}) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		return
	}
	for _, vol := range pod.Spec.Volumes {
		adc.desiredStateOfWorld.DeletePod(vol.Name)
	}
}

func (adc *attachDetachController) reconcile(ctx context.Context) {
	for volumeName, nodeName := range adc.attached {
		if !adc.desiredStateOfWorld.VolumeExists(volumeName) {
			adc.kubeClient.StorageV1().VolumeAttachments().Delete(ctx, volumeName+"-"+nodeName, metav1.DeleteOptions{})
		}
	}
	for volumeName, nodeName := range adc.desiredStateOfWorld.GetVolumesToAttach() {
		va := &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: volumeName + "-" + nodeName}}
		if _, err := adc.kubeClient.StorageV1().VolumeAttachments().Create(ctx, va, metav1.CreateOptions{}); err == nil {
			adc.attached[volumeName] = nodeName
		}
	}
}
