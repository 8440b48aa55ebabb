; gimp-restore integration cases for GIMP 3, run inside one gimp-console-3.0
; batch.  Each case prints "TAP: ok NAME" or "TAP: not ok NAME: reason"
; through gimp-message (console handler); run-gimp3-tests.sh turns them
; into TAP and compares the saved images (check-images3.py).
; Inputs (made by the driver in DIR): damaged.png, mask.png, original.png
; (the photo before the damage).
; Outputs: restored.png (the result layer alone), source.png (the source
; layer after the run); for each format case TAG, fmt-TAG-before.png (the
; source before the run), fmt-TAG-restored.png, fmt-TAG-source.png and
; fmt-TAG-reference.png (original.png converted the same way).

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

; Saves only LAYER of IMAGE to FILE: exports a copy of the image with
; the other layers removed, so that every file is the export of a
; one-layer image (an export merges several layers, which changes the
; values of transparent pixels), and IMAGE's undo stack stays as it was.
(define (save-layer image layer file)
  (let* ((pos (car (gimp-image-get-item-position image layer)))
         (copy (car (gimp-image-duplicate image)))
         (all (layers copy)))
    (let loop ((i 0))
      (when (< i (vector-length all))
        (if (not (= i pos)) (gimp-image-remove-layer copy (vector-ref all i)))
        (loop (+ i 1))))
    (gimp-file-save RUN-NONINTERACTIVE copy file)
    (gimp-image-delete copy)))

; The scripts that watch GIMP from outside (dialog3.sh, undo3.sh,
; cancel3.sh) hear from their batch through files (write-file: TEXT into
; FILE) and answer through a named pipe (wait-pipe: reading it blocks
; only this interpreter, GIMP goes on).
(define (write-file file text)
  (let ((port (open-output-file file)))
    (display text port)
    (close-output-port port)))
(define (wait-pipe file)
  (let ((port (open-input-file file)))
    (when port
      (read-char port)
      (close-input-port port))))

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

; The formats: each case loads the photo (its top-left quarter), converts
; it with (CONVERT image layer), which returns the drawable to pass,
; selects the damage and restores it; the undamaged photo, converted the
; same way, is the reference.  A new layer must come right above the
; source; the pixels are checked by check-images3.py.
(define (format-case dir name tag convert)
  (let* ((image (load-image dir))
         (layer (top-layer image))
         (ref (car (gimp-file-load RUN-NONINTERACTIVE (string-append dir "/original.png"))))
         (file (lambda (what) (string-append dir "/fmt-" tag "-" what ".png"))))
    ; the top-left quarter of the photo: a quarter of the time
    (gimp-image-crop image 540 360 0 0)
    (gimp-image-crop ref 540 360 0 0)
    (convert ref (top-layer ref))
    (gimp-file-save RUN-NONINTERACTIVE ref (file "reference"))
    (gimp-image-delete ref)
    (let ((drawable (convert image layer)))
      (select-mask image (string-append dir "/mask.png"))
      (gimp-file-save RUN-NONINTERACTIVE image (file "before"))
      (let ((new (restore image (vector drawable) "" 0.0 0.0)))
        (say (and new (= (n-layers image) 2) (= (top-layer image) new)
                  (= (vector-ref (layers image) 1) layer))
             (string-append name ": a new layer right above the source")
             (if new "not right above the source" "the call failed"))
        (when new
          (save-layer image new (file "restored"))
          (save-layer image layer (file "source")))))
    (gimp-image-delete image)))

; Makes the top-left part of LAYER transparent (some damage lies there).
(define (clear-corner image layer)
  (gimp-layer-add-alpha layer)
  (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 100 100 200 150)
  (gimp-drawable-edit-clear layer)
  (gimp-selection-none image))

(define (format-cases dir)
  (for-each
    (lambda (c) (guard (car c) (lambda () (format-case dir (car c) (cadr c) (caddr c)))))
    (list
      (list "8-bit gamma RGB image" "u8"
            (lambda (i l)
              (if (not (= (car (gimp-image-get-precision i)) PRECISION-U8-NON-LINEAR))
                  (gimp-image-convert-precision i PRECISION-U8-NON-LINEAR))
              l))
      (list "16-bit linear RGB image" "u16"
            (lambda (i l) (gimp-image-convert-precision i PRECISION-U16-LINEAR) l))
      (list "32-bit float linear RGB image" "f32"
            (lambda (i l) (gimp-image-convert-precision i PRECISION-FLOAT-LINEAR) l))
      (list "grayscale image" "gray"
            (lambda (i l) (gimp-image-convert-grayscale i) l))
      (list "RGB layer with alpha, partly transparent" "rgba"
            (lambda (i l) (clear-corner i l) l))
      (list "grayscale layer with alpha, partly transparent" "graya"
            (lambda (i l) (gimp-image-convert-grayscale i) (clear-corner i l) l))
      ; GIMP passes the mask when it is the active part of the layer: the
      ; layer is restored.
      (list "layer with a layer mask, the mask passed" "mask"
            (lambda (i l)
              (let ((m (car (gimp-layer-create-mask l ADD-MASK-WHITE))))
                (gimp-layer-add-mask l m)
                m)))))
  ; A layer with offsets.
  (let* ((image (load-image dir))
         (layer (top-layer image)))
    (gimp-layer-set-offsets layer 12 7)
    (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 300 200 30 30)
    (let ((new (restore image (vector layer) "" 0.0 0.0)))
      (say (and new (equal? (gimp-drawable-get-offsets new) (gimp-drawable-get-offsets layer)))
           "the new layer keeps the source's offsets" "offsets differ"))))
