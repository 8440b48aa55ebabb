; gimp-restore integration cases for GIMP 3, run inside one gimp-console-3.0
; batch.  Each case prints "TAP: ok NAME" or "TAP: not ok NAME: reason"
; through gimp-message (console handler); run-gimp3-tests.sh turns them
; into TAP and compares the saved images with the command's output.
; Inputs (made by the driver in DIR): damaged.png, mask.png.
; Outputs: restored.png (the result layer alone), source.png (the source
; layer after the run).

(define (say ok name why)
  (gimp-message (string-append "TAP: " (if ok "ok " "not ok ") name
                               (if ok "" (string-append ": " why)))))

(define (layers image) (car (gimp-image-get-layers image)))
(define (n-layers image) (vector-length (layers image)))
(define (top-layer image) (vector-ref (layers image) 0))

(define (load-image dir)
  (car (gimp-file-load RUN-NONINTERACTIVE (string-append dir "/damaged.png"))))

; Selects the white pixels of the image file F (soft values kept).
(define (select-mask image f)
  (let ((m (car (gimp-file-load-layer RUN-NONINTERACTIVE image f))))
    (gimp-image-insert-layer image m 0 -1)
    (let ((lm (car (gimp-layer-create-mask m ADD-MASK-COPY))))
      (gimp-layer-add-mask m lm)
      (gimp-image-select-item image CHANNEL-OP-REPLACE lm))
    (gimp-image-remove-layer image m)))

(define (restore image drawables model denoise sharpen)
  (catch #f (car (plug-in-restore RUN-NONINTERACTIVE image drawables model denoise sharpen))))

(define (detect image drawables sensitivity operation)
  (catch #f (car (plug-in-restore-detect RUN-NONINTERACTIVE image drawables sensitivity operation))))

; A bad call must fail and leave the layer count as it was.
(define (expect-error name image drawables model denoise sharpen)
  (let* ((before (n-layers image))
         (r (restore image drawables model denoise sharpen)))
    (say (and (not r) (= before (n-layers image))) name
         (if r "the call succeeded" "the layer count changed"))))

; Saves only LAYER of IMAGE (the others hidden) to FILE.
(define (save-layer image layer file)
  (let ((all (layers image)))
    (let loop ((i 0))
      (when (< i (vector-length all))
        (gimp-item-set-visible (vector-ref all i) (if (= (vector-ref all i) layer) TRUE FALSE))
        (loop (+ i 1))))
    (gimp-file-save RUN-NONINTERACTIVE image file)
    (let loop ((i 0))
      (when (< i (vector-length all))
        (gimp-item-set-visible (vector-ref all i) TRUE)
        (loop (+ i 1))))))

; Runs THUNK; an error inside it is a failed case, and the batch goes on.
(define (guard name thunk)
  (if (not (catch #f (begin (thunk) #t)))
      (say #f name "the case raised an error")))

(define (run-cases dir)
  (gimp-message-set-handler CONSOLE)
  (guard "registration" (lambda () (registration-cases)))
  (guard "restore" (lambda () (restore-cases dir)))
  (guard "detect" (lambda () (detect-cases dir)))
  (guard "bad input" (lambda () (bad-input-cases dir)))
  (guard "formats" (lambda () (format-cases dir)))
  (gimp-message "TAP: done"))

(define (registration-cases)
  (say (and (= (car (gimp-pdb-procedure-exists "plug-in-restore")) TRUE)
            (= (car (gimp-pdb-procedure-exists "plug-in-restore-detect")) TRUE)
            (= (car (gimp-pdb-procedure-exists "plug-in-restore-list-models")) TRUE))
       "the three procedures are registered" "missing")

  (let ((r (catch #f (plug-in-restore-list-models RUN-NONINTERACTIVE))))
    (say (and r (>= (car r) 1) (= (length (cadr r)) (car r)))
         "list-models returns the installed models" "none listed")))

; The main case: the damage selected, the automatic model.
(define (restore-cases dir)
  (let* ((image (load-image dir))
         (layer (top-layer image)))
    (select-mask image (string-append dir "/mask.png"))
    (let ((new (restore image (vector layer) "" 0.0 0.0)))
      (say (and new (= (n-layers image) 2) (= (top-layer image) new))
           "restore adds one layer above the source" "no new layer on top")
      (when new
        (save-layer image new (string-append dir "/restored.png"))
        (save-layer image layer (string-append dir "/source.png"))
        (say (and (= (car (gimp-drawable-get-width new)) (car (gimp-drawable-get-width layer)))
                  (= (car (gimp-drawable-get-height new)) (car (gimp-drawable-get-height layer))))
             "the new layer has the source's size" "size differs")))))

; Detection replaces the selection.
(define (detect-cases dir)
  (let* ((image (load-image dir))
         (layer (top-layer image))
         (n (detect image (vector layer) 0.4 0)))
    (say (and n (> n 0) (= (car (gimp-selection-is-empty image)) FALSE) (= (n-layers image) 1))
         "detect selects damage and adds no layer" "nothing selected or call failed")))

; Bad input: a clear error, nothing added.
(define (bad-input-cases dir)
  (let* ((image (load-image dir))
         (layer (top-layer image)))
    (gimp-selection-none image)
    (expect-error "no selection is refused" image (vector layer) "" 0.0 0.0)
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 100 100 40 40)
    (expect-error "denoise out of range is refused" image (vector layer) "" 2.0 0.0)
    (expect-error "an unknown model is refused" image (vector layer) "no-such-model" 0.0 0.0)
    (let ((second (car (gimp-layer-copy layer))))
      (gimp-image-insert-layer image second 0 0)
      (expect-error "two drawables are refused" image (vector layer second) "" 0.0 0.0))))

; 16-bit linear, grayscale, offsets.
(define (format-cases dir)
  (let* ((image (load-image dir))
         (layer (top-layer image)))
    (gimp-image-convert-precision image PRECISION-U16-LINEAR)
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 300 200 30 30)
    (say (restore image (vector layer) "" 0.0 0.0) "16-bit linear image" "the call failed"))
  (let* ((image (load-image dir))
         (layer (top-layer image)))
    (gimp-image-convert-grayscale image)
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 300 200 30 30)
    (say (restore image (vector layer) "" 0.0 0.0) "grayscale image" "the call failed"))
  (let* ((image (load-image dir))
         (layer (top-layer image)))
    (gimp-layer-set-offsets layer 12 7)
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 300 200 30 30)
    (let ((new (restore image (vector layer) "" 0.0 0.0)))
      (say (and new (equal? (gimp-drawable-get-offsets new) (gimp-drawable-get-offsets layer)))
           "the new layer keeps the source's offsets" "offsets differ"))))
