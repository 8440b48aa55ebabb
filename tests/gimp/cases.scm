; gimp-restore integration cases, run inside one gimp-console batch.
; Each case prints "TAP: ok NAME" or "TAP: not ok NAME: reason" through
; gimp-message (console handler); the driver turns them into TAP.
; Inputs (made by the driver in DIR): damaged.png, mask.png, original.png,
; and for the large case big-damaged.png, big-mask.png.

(define (say ok name why)
  (gimp-message (string-append "TAP: " (if ok "ok " "not ok ") name
                               (if ok "" (string-append ": " why)))))

(define (n-layers image) (car (gimp-image-get-layers image)))

(define (load-image dir)
  (let ((f (string-append dir "/damaged.png")))
    (car (gimp-file-load RUN-NONINTERACTIVE f f))))

; Selects the white pixels of the image file F (soft values kept).
(define (select-mask-file image f)
  (let ((m (car (gimp-file-load-layer RUN-NONINTERACTIVE image f))))
    (gimp-image-insert-layer image m 0 -1)
    (let ((lm (car (gimp-layer-create-mask m ADD-MASK-COPY))))
      (gimp-layer-add-mask m lm)
      (gimp-image-select-item image CHANNEL-OP-REPLACE lm))
    (gimp-image-remove-layer image m)))

(define (select-mask image dir)
  (select-mask-file image (string-append dir "/mask.png")))

(define (restore image layer model denoise sharpen)
  (catch #f (car (plug-in-restore RUN-NONINTERACTIVE image layer model denoise sharpen))))

(define (save image drawable file)
  (file-png-save-defaults RUN-NONINTERACTIVE image drawable file file))

; A bad call must fail and leave the layer count as it was.
(define (expect-error name image layer model denoise sharpen)
  (let* ((before (n-layers image))
         (r (restore image layer model denoise sharpen)))
    (say (and (not r) (= before (n-layers image))) name
         (if r "the call succeeded" "the layer count changed"))))

(define (run-cases dir model)
  (gimp-message-set-handler CONSOLE)

  ; Registration with the fixed signature.
  (let* ((info (gimp-procedural-db-proc-info "plug-in-restore"))
         (types (map (lambda (i) (car (gimp-procedural-db-proc-arg "plug-in-restore" i)))
                     '(0 1 2 3 4 5)))
         (names (map (lambda (i) (cadr (gimp-procedural-db-proc-arg "plug-in-restore" i)))
                     '(0 1 2 3 4 5)))
         (ret (car (gimp-procedural-db-proc-val "plug-in-restore" 0))))
    (say (and (= (list-ref info 6) 6) (= (list-ref info 7) 1)
              (equal? types (list PDB-INT32 PDB-IMAGE PDB-DRAWABLE PDB-STRING PDB-FLOAT PDB-FLOAT))
              (equal? (list-tail names 3) '("model" "denoise" "sharpen"))
              (= ret PDB-LAYER))
         "registered with the fixed signature" "signature differs"))

  (let ((r (catch #f (plug-in-restore-list-models RUN-NONINTERACTIVE))))
    (say (and r (>= (car r) 1)) "list-models returns the installed models" "none listed"))

  ; The main case: a photo with damage, the damage selected.
  (let* ((image (load-image dir))
         (layer (car (gimp-image-get-active-layer image))))
    (select-mask image dir)
    (let ((r (restore image layer model 0.0 0.0)))
      (say r "restore returns a new layer" "the call failed")
      (when r
        (say (and (= (n-layers image) 2)
                  (= (car (gimp-image-get-item-position image r)) 0)
                  (= (car (gimp-image-get-item-position image layer)) 1))
             "the new layer sits just above the source" "wrong layer order")
        (say (and (= (car (gimp-drawable-width r)) (car (gimp-drawable-width layer)))
                  (= (car (gimp-drawable-height r)) (car (gimp-drawable-height layer)))
                  (equal? (gimp-drawable-offsets r) (gimp-drawable-offsets layer)))
             "the new layer has the source's size and offsets" "size or offsets differ")
        (save image r (string-append dir "/out-rgb.png"))
        (save image layer (string-append dir "/src-after.png"))))
    (gimp-image-delete image))

  ; Soft (feathered) selection, denoise and sharpen on.
  (let* ((image (load-image dir))
         (layer (car (gimp-image-get-active-layer image))))
    (select-mask image dir)
    (gimp-selection-feather image 6)
    (let ((r (restore image layer model 0.5 0.5)))
      (say r "feathered selection with denoise and sharpen" "the call failed")
      (when r (save image r (string-append dir "/out-feather.png"))))
    (gimp-image-delete image))

  ; Other precisions and modes.
  (for-each
    (lambda (c)
      (let* ((image (load-image dir))
             (layer (car (gimp-image-get-active-layer image))))
        ((cadr c) image)
        (set! layer (car (gimp-image-get-active-layer image)))
        (select-mask image dir)
        (let ((r (restore image layer model 0.0 0.0)))
          (say r (car c) "the call failed")
          (when r (save image r (string-append dir "/out-" (caddr c) ".png"))))
        (gimp-image-delete image)))
    (list (list "16-bit integer image" (lambda (i) (gimp-image-convert-precision i PRECISION-U16-GAMMA)) "u16")
          (list "32-bit float linear image" (lambda (i) (gimp-image-convert-precision i PRECISION-FLOAT-LINEAR)) "f32")
          (list "grayscale image" (lambda (i) (gimp-image-convert-grayscale i)) "gray")
          (list "partly transparent layer with a layer mask"
                (lambda (i)
                  (let ((l (car (gimp-image-get-active-layer i))))
                    (gimp-layer-add-alpha l)
                    (gimp-layer-set-opacity l 100)
                    (gimp-image-select-rectangle i CHANNEL-OP-REPLACE 0 0 40 40)
                    (gimp-edit-clear l)
                    (gimp-layer-add-mask l (car (gimp-layer-create-mask l ADD-MASK-WHITE)))))
                "alpha")))

  ; With the layer mask active GIMP passes the mask: its layer is restored.
  (let* ((image (load-image dir))
         (layer (car (gimp-image-get-active-layer image)))
         (mask (car (gimp-layer-create-mask layer ADD-MASK-WHITE))))
    (gimp-layer-add-mask layer mask)
    (select-mask image dir)
    (let ((r (restore image mask model 0.0 0.0)))
      (say (and r (= (n-layers image) 2)
                (= (car (gimp-image-get-item-position image r)) 0))
           "an active layer mask restores its layer" "failed or no layer above"))
    (gimp-image-delete image))

  ; A layer with offsets inside a larger canvas.
  (let* ((image (load-image dir))
         (layer (car (gimp-image-get-active-layer image))))
    (gimp-image-resize image (+ 40 (car (gimp-image-width image)))
                       (+ 30 (car (gimp-image-height image))) 0 0)
    (gimp-layer-set-offsets layer 25 13)
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 60 40 80 5)
    (let ((r (restore image layer model 0.0 0.0)))
      (say (and r (equal? (gimp-drawable-offsets r) '(25 13)))
           "layer with offsets keeps them" "failed or offsets differ"))
    ; A selection entirely outside the layer (the canvas margin).
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 0 0 20 10)
    (expect-error "selection outside the layer is refused" image layer model 0.0 0.0)
    (gimp-image-delete image))

  ; A 1x1 layer.
  (let* ((image (car (gimp-image-new 1 1 RGB)))
         (layer (car (gimp-layer-new image 1 1 RGB-IMAGE "one" 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer image layer 0 0)
    (gimp-selection-all image)
    (say (restore image layer model 0.0 0.0) "1x1 layer" "the call failed")
    (gimp-image-delete image))

  ; Bad input: an error, the image unchanged.
  (let* ((image (load-image dir))
         (layer (car (gimp-image-get-active-layer image))))
    (gimp-selection-none image)
    (expect-error "no selection is refused" image layer model 0.0 0.0)
    (select-mask image dir)
    (expect-error "unknown model is refused" image layer "no-such-model" 0.0 0.0)
    (expect-error "denoise 2.0 is refused" image layer model 2.0 0.0)
    (expect-error "sharpen -1 is refused" image layer model 0.0 -1.0)
    (expect-error "corrupt model file is refused" image layer
                  (string-append dir "/corrupt.grst") 0.0 0.0)
    (expect-error "missing model file is refused" image layer
                  (string-append dir "/missing.grst") 0.0 0.0)
    (let ((channel (car (gimp-channel-new image 320 240 "channel" 50 '(0 0 0)))))
      (gimp-image-insert-channel image channel 0 0)
      (expect-error "a channel is refused" image channel model 0.0 0.0))
    (let ((group (car (gimp-layer-group-new image))))
      (gimp-image-insert-layer image group 0 0)
      (expect-error "layer group is refused" image group model 0.0 0.0))
    (gimp-image-delete image))

  (let* ((image (load-image dir)))
    (gimp-image-convert-indexed image CONVERT-DITHER-NONE CONVERT-PALETTE-GENERATE 16 FALSE FALSE "")
    (select-mask image dir)
    (expect-error "indexed image is refused" image
                  (car (gimp-image-get-active-layer image)) model 0.0 0.0)
    (gimp-image-delete image))

  ; Last values: WITH-LAST-VALS reuses the last successful settings.
  (let* ((image (load-image dir))
         (layer (car (gimp-image-get-active-layer image))))
    (select-mask image dir)
    (say (catch #f (car (plug-in-restore RUN-WITH-LAST-VALS image layer "" 0.0 0.0)))
         "run with last values" "the call failed")
    ; After a call naming a model, WITH-LAST-VALS (whose own arguments are
    ; ignored) uses that model again: the new layer is named after it.
    (let* ((names (catch #f (cadr (plug-in-restore-list-models RUN-NONINTERACTIVE))))
           (name (if (pair? names) (car names) "?"))
           (first (restore image layer name 0.2 0.1))
           (again (catch #f (car (plug-in-restore RUN-WITH-LAST-VALS image layer
                                                  "" 0.0 0.0))))
           (contains? (lambda (s sub)
                        (let loop ((i 0))
                          (cond ((> (+ i (string-length sub)) (string-length s)) #f)
                                ((string=? (substring s i (+ i (string-length sub))) sub) #t)
                                (else (loop (+ i 1))))))))
      (say (and first again
                (contains? (car (gimp-item-get-name again)) name))
           "run with last values reuses the last model"
           "failed or the layer is not named after the last model"))
    (gimp-image-delete image))

  ; A 10000 x 8000 layer with a small selection: only the region around it
  ; is read and restored; far pixels are the source's.
  (let* ((image (car (gimp-image-new 10000 8000 RGB)))
         (layer (car (gimp-layer-new image 10000 8000 RGB-IMAGE "big" 100
                                     LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer image layer 0 0)
    (gimp-context-push)
    (gimp-context-set-foreground '(90 120 60))
    (gimp-drawable-fill layer FILL-FOREGROUND)
    (gimp-context-pop)
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 7000 5000 40 6)
    (let ((r (restore image layer model 0.0 0.0)))
      (say (and r
                (= (car (gimp-drawable-width r)) 10000)
                (= (car (gimp-drawable-height r)) 8000)
                (equal? (vector->list (cadr (gimp-drawable-get-pixel r 100 100)))
                        '(90 120 60 255))
                (equal? (vector->list (cadr (gimp-drawable-get-pixel r 9999 7999)))
                        '(90 120 60 255)))
           "10000x8000 layer with a small selection"
           "failed, wrong size or far pixels changed"))
    (gimp-image-delete image))

  ; A 10000 x 8000 layer with a large selection: thin strokes and blobs
  ; spread over the whole layer, corners and edges included.  The driver
  ; checks the saved layers (check-images.py): unmasked pixels equal to the
  ; source, the source unchanged, every mark restored.
  (let* ((f (string-append dir "/big-damaged.png"))
         (image (car (gimp-file-load RUN-NONINTERACTIVE f f)))
         (layer (car (gimp-image-get-active-layer image))))
    (select-mask-file image (string-append dir "/big-mask.png"))
    (let ((r (restore image layer model 0.0 0.0)))
      (say (and r (= (n-layers image) 2)
                (= (car (gimp-image-get-item-position image r)) 0))
           "10000x8000 layer with marks all over it: a new layer above the source"
           "the call failed or no layer above")
      (when r
        ; Fast PNG compression: these are 240 MB of pixels each.
        (file-png-save2 RUN-NONINTERACTIVE image r (string-append dir "/big-out.png")
                        (string-append dir "/big-out.png") 0 1 0 0 0 0 0 0 0)
        (file-png-save2 RUN-NONINTERACTIVE image layer (string-append dir "/big-src-after.png")
                        (string-append dir "/big-src-after.png") 0 1 0 0 0 0 0 0 0)))
    (gimp-image-delete image))

  (gimp-message "TAP: done"))
