// Package persistentvolume mimics the PV binder's controller cache
// (pkg/controller/volume/persistentvolume/pv_controller_base.go:198-202, 640-662, 688;
// pv_controller.go:1616): storeClaimUpdate reads ctrl.claims through storeObjectUpdate and
// returns only "is this a new version" and an error; setClaimProvisioner calls it after its own
// Update and returns the error; provisionClaimOperation then provisions. The PV delete worker
// removes claims from ctrl.claims. A walk that hops from that removal to storeClaimUpdate may
// return to storeClaimUpdate's own call site, never further up into callers it never came from.
package persistentvolume

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// PersistentVolumeController binds and provisions volumes.
type PersistentVolumeController struct {
	kubeClient  clientset.Interface
	claimLister corelisters.PersistentVolumeClaimLister
	claims      cache.Store
	claimQueue  workqueue.Interface
	volumeQueue workqueue.Interface
}

// NewController registers the claim and volume handlers.
func NewController(kubeClient clientset.Interface, claimInformer coreinformers.PersistentVolumeClaimInformer, volumeInformer coreinformers.PersistentVolumeInformer) (*PersistentVolumeController, error) {
	ctrl := &PersistentVolumeController{
		kubeClient:  kubeClient,
		claimLister: claimInformer.Lister(),
		claims:      cache.NewStore(cache.DeletionHandlingMetaNamespaceKeyFunc),
		claimQueue:  workqueue.NewNamed("claims"),
		volumeQueue: workqueue.NewNamed("volumes"),
	}
	claimInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: ctrl.enqueueClaim,
	})
	volumeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: ctrl.enqueueVolume,
	})
	return ctrl, nil
}

// Run starts both workers.
func (ctrl *PersistentVolumeController) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, ctrl.claimWorker, time.Second)
	go wait.UntilWithContext(ctx, ctrl.volumeWorker, time.Second)
	<-ctx.Done()
}

func (ctrl *PersistentVolumeController) enqueueClaim(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	ctrl.claimQueue.Add(key)
}

func (ctrl *PersistentVolumeController) enqueueVolume(obj interface{}) {
	volume, ok := obj.(*v1.PersistentVolume)
	if !ok {
		return
	}
	ctrl.volumeQueue.Add(volume)
}

func (ctrl *PersistentVolumeController) claimWorker(ctx context.Context) {
	keyObj, quit := ctrl.claimQueue.Get()
	if quit {
		return
	}
	defer ctrl.claimQueue.Done(keyObj)
	namespace, name, err := cache.SplitMetaNamespaceKey(keyObj.(string))
	if err != nil {
		return
	}
	claim, err := ctrl.claimLister.PersistentVolumeClaims(namespace).Get(name)
	if err != nil {
		return
	}
	ctrl.provisionClaimOperation(ctx, claim)
}

func (ctrl *PersistentVolumeController) provisionClaimOperation(ctx context.Context, claim *v1.PersistentVolumeClaim) error {
	claim, err := ctrl.setClaimProvisioner(ctx, claim, "kubernetes.io/host-path")
	if err != nil {
		return err
	}
	volume := &v1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pvc-" + string(claim.UID)}}
	_, err = ctrl.kubeClient.CoreV1().PersistentVolumes().Create(ctx, volume, metav1.CreateOptions{})
	return err
}

func (ctrl *PersistentVolumeController) setClaimProvisioner(ctx context.Context, claim *v1.PersistentVolumeClaim, provisionerName string) (*v1.PersistentVolumeClaim, error) {
	claimClone := claim.DeepCopy()
	metav1.SetMetaDataAnnotation(&claimClone.ObjectMeta, "volume.kubernetes.io/storage-provisioner", provisionerName)
	newClaim, err := ctrl.kubeClient.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, claimClone, metav1.UpdateOptions{})
	if err != nil {
		return newClaim, err
	}
	_, err = ctrl.storeClaimUpdate(newClaim)
	if err != nil {
		return newClaim, err
	}
	return newClaim, nil
}

func (ctrl *PersistentVolumeController) storeClaimUpdate(claim interface{}) (bool, error) {
	return storeObjectUpdate(ctrl.claims, claim, "claim")
}

// storeObjectUpdate keeps the newest version of an object in the cache.
func storeObjectUpdate(store cache.Store, obj interface{}, className string) (bool, error) {
	oldObj, found, err := store.Get(obj)
	if err != nil {
		return false, fmt.Errorf("error finding %s in controller cache: %w", className, err)
	}
	if !found {
		if err = store.Add(obj); err != nil {
			return false, fmt.Errorf("error adding %s to controller cache: %w", className, err)
		}
		return true, nil
	}
	if oldObj == obj {
		return false, nil
	}
	if err := store.Update(obj); err != nil {
		return false, fmt.Errorf("error updating %s in controller cache: %w", className, err)
	}
	return true, nil
}

func (ctrl *PersistentVolumeController) volumeWorker(ctx context.Context) {
	obj, quit := ctrl.volumeQueue.Get()
	if quit {
		return
	}
	defer ctrl.volumeQueue.Done(obj)
	volume := obj.(*v1.PersistentVolume)
	ctrl.deleteVolume(ctx, volume)
}

// deleteVolume forgets the volume's claim and reports it lost (pvbase:230-252).
func (ctrl *PersistentVolumeController) deleteVolume(ctx context.Context, volume *v1.PersistentVolume) {
	if volume.Spec.ClaimRef == nil {
		return
	}
	ref := volume.Spec.ClaimRef
	ctrl.claims.Delete(&v1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}})
	claim := &v1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}}
	claim.Status.Phase = v1.ClaimLost
	ctrl.kubeClient.CoreV1().PersistentVolumeClaims(ref.Namespace).UpdateStatus(ctx, claim, metav1.UpdateOptions{})
}
