// A step that asks before it acts: the button that goes ahead (red where it destroys), then the
// one that backs out. The datasets panel asks so before uploading an .npy and before deleting.

export function ConfirmButtons(props: {
  /** What going ahead does: "Upload it", "Delete it". */
  confirm: string;
  confirmTestId: string;
  /** Going ahead destroys something. */
  danger?: boolean;
  /** What backing out says: "Cancel", "Keep". */
  cancel: string;
  onConfirm(): void;
  onCancel(): void;
}) {
  return (
    <>
      <button
        type="button"
        className={props.danger ? 'link-button danger' : 'link-button'}
        data-testid={props.confirmTestId}
        onClick={props.onConfirm}
      >
        {props.confirm}
      </button>
      <button type="button" className="link-button" onClick={props.onCancel}>
        {props.cancel}
      </button>
    </>
  );
}
